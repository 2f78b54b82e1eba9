//! The extractors: the calling tenant ([`Caller`]), path parameters
//! ([`MailgunPath`]) and every other parameter ([`Params`]), each rejecting a
//! bad request with a [`MailgunError`].

mod params;

pub use params::Params;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use signet_domain::{Actor, Authentication, Origin, Tenant, Via};

use crate::error::MailgunError;

/// Mailgun's header for acting on a subaccount's behalf.
const ON_BEHALF_OF: &str = "x-mailgun-on-behalf-of";

/// [`Path`], answering a bad path with a Mailgun error instead of plain text.
#[derive(Debug, FromRequestParts)]
#[from_request(via(Path), rejection(MailgunError))]
pub struct MailgunPath<T>(pub T);

/// The authenticated tenant (from the [`Authentication`] the api's middleware
/// puts in every request's extensions) a request acts for, and where its
/// changes come from for the audit trail. Holding one is the only way to
/// reach a tenant's data.
#[derive(Debug, Clone)]
pub struct Caller(pub Tenant, pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = MailgunError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tenant = match parts.extensions.get::<Authentication>() {
            Some(Authentication::Authenticated(tenant)) => tenant.clone(),
            Some(Authentication::Unavailable) => return Err(MailgunError::unavailable()),
            Some(Authentication::Rejected) | None => return Err(MailgunError::unauthorized()),
        };
        // The auth layer names the API key with the tenant; without it the
        // change could not be attributed, so the request is not authenticated.
        let Some(actor) = parts.extensions.get::<Actor>().cloned() else {
            return Err(MailgunError::unauthorized());
        };
        // Subaccounts are not modelled yet: only the caller's own name is accepted.
        if let Some(value) = parts.headers.get(ON_BEHALF_OF) {
            let own = value
                .to_str()
                .is_ok_and(|v| v.trim() == tenant.name.as_str());
            if !own {
                return Err(MailgunError::forbidden(
                    "X-Mailgun-On-Behalf-Of: acting on behalf of another account is not allowed",
                ));
            }
        }
        Ok(Self(
            tenant,
            signet_http_kit::origin(parts, actor, Via::Mailgun),
        ))
    }
}
