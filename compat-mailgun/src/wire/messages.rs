//! The message bodies Mailgun answers with, errors included: a leaf module,
//! so the error mapping can name them without depending on the rest of the
//! wire types.

use serde::Serialize;
use utoipa::ToSchema;

/// Mailgun's generic answer: a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"message": "success"}))]
pub struct GenericResponse {
    /// What happened, or what went wrong.
    pub message: String,
}

impl GenericResponse {
    /// A message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The 400 answer of the DKIM-management endpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"Reason": "rotation_interval is not allowed unless also enabling DKIM rotation"}))]
pub struct ManagementReason {
    /// What is wrong with the request.
    #[serde(rename = "Reason")]
    pub reason: String,
}

/// The 404 answer of the DKIM-management endpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"Description": "domain not found"}))]
pub struct ManagementNotFound {
    /// What was not found: `domain not found`, or `domain key not found`
    /// when a key went away during the request.
    #[serde(rename = "Description")]
    pub description: String,
}
