//! The roles the handlers ask for, as extractors: a handler that takes
//! [`Writer`] can only run for an admin or owner of the token's tenant.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use signet_domain::Origin;

use crate::auth::{origin, Member, Principal};
use crate::error::{unauthorized, Problem};
use crate::role::Role;
use crate::ConsoleState;

impl FromRequestParts<ConsoleState> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let principal = state.verifier.principal(&state.admin, token, parts).await?;
        if let Principal::Member(member) = &principal {
            tracing::Span::current().record("tenant", member.tenant.name.as_str());
        }
        Ok(principal)
    }
}

/// The token in `Authorization: Bearer TOKEN`.
fn bearer(parts: &Parts) -> Result<&str, Problem> {
    signet_http_kit::bearer_token(parts)
        .ok_or_else(|| unauthorized("a console token is required: Authorization: Bearer TOKEN"))
}

/// A member with at least `min` in their tenant.
async fn member_at_least(
    parts: &mut Parts,
    state: &ConsoleState,
    min: Role,
) -> Result<Member, Problem> {
    match Principal::from_request_parts(parts, state).await? {
        Principal::Member(member) if member.role >= min => Ok(member),
        Principal::Member(member) => Err(Problem::forbidden(format!(
            "this needs the {} role or above; the token has {}",
            min.as_str(),
            member.role.as_str()
        ))),
        Principal::Operator { .. } => Err(Problem::forbidden(
            "an operator token acts on no tenant; use a tenant member's token",
        )),
    }
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $min:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Member);

        impl FromRequestParts<ConsoleState> for $name {
            type Rejection = Problem;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &ConsoleState,
            ) -> Result<Self, Self::Rejection> {
                member_at_least(parts, state, $min).await.map(Self)
            }
        }
    };
}

role_extractor!(
    /// A viewer, admin or owner: may read the tenant's data.
    Reader,
    Role::Viewer
);
role_extractor!(
    /// An admin or owner: may change keys and API keys.
    Writer,
    Role::Admin
);
role_extractor!(
    /// An owner: may change the tenant's settings.
    Owner,
    Role::Owner
);

/// A platform operator, as the origin of their changes.
#[derive(Debug, Clone)]
pub struct Operator(pub Origin);

impl FromRequestParts<ConsoleState> for Operator {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Operator { subject } => Ok(Self(origin(parts, &subject))),
            Principal::Member(_) => Err(Problem::forbidden("this needs a platform operator")),
        }
    }
}
