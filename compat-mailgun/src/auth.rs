//! The calling tenant, from the [`Authentication`] the api's middleware puts
//! in every request's extensions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use signet_domain::{Authentication, Tenant};

use crate::error::ApiError;

/// Mailgun's header for acting on a subaccount's behalf.
const ON_BEHALF_OF: &str = "x-mailgun-on-behalf-of";

/// The authenticated tenant a request acts for. Holding one is the only way
/// to reach a tenant's data.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tenant = match parts.extensions.get::<Authentication>() {
            Some(Authentication::Authenticated(tenant)) => tenant.clone(),
            Some(Authentication::Unavailable) => return Err(ApiError::unavailable()),
            Some(Authentication::Rejected) | None => return Err(ApiError::unauthorized()),
        };
        // Subaccounts are not modelled yet: only the caller's own name is accepted.
        if let Some(value) = parts.headers.get(ON_BEHALF_OF) {
            let own = value
                .to_str()
                .is_ok_and(|v| v.trim() == tenant.name.as_str());
            if !own {
                return Err(ApiError::forbidden(
                    "X-Mailgun-On-Behalf-Of: acting on behalf of another account is not allowed",
                ));
            }
        }
        Ok(Self(tenant))
    }
}
