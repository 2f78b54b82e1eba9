//! Path parameters, with rejections in Mailgun's shape.

use axum::extract::{FromRequestParts, Path};

use crate::error::ApiError;

/// [`Path`], answering a bad path with a Mailgun error instead of plain text.
#[derive(Debug, FromRequestParts)]
#[from_request(via(Path), rejection(ApiError))]
pub struct MailgunPath<T>(pub T);
