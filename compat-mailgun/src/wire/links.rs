//! The links between pages of a list: a leaf module, so the paging code can
//! build them without depending on the rest of the wire types.

use serde::Serialize;
use utoipa::ToSchema;

/// Absolute URLs of the pages around this one. Each carries an opaque `page`
/// token; `next` after the last page leads to a page with no items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PagingResponse {
    /// The page before this one.
    pub previous: String,
    /// The first page.
    pub first: String,
    /// The page after this one.
    pub next: String,
    /// The last page.
    pub last: String,
}
