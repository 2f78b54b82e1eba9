//! Console authentication: `Authorization: Bearer <JWT>` only, signed by the
//! external IdP (when configured) or by the built-in issuer, and the roles
//! the handlers ask for as extractors. A handler that takes [`Writer`] can
//! only run for an admin or owner of the token's tenant.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use signet_domain::{Actor, Admin, Entity, Error, Origin, Tenant, TenantName, Via};

use super::issuer::{self, BuiltInIssuer};
use super::jwks::IdpKeys;
use super::role::Role;
use super::ConsoleState;
use crate::error::{unauthorized, Problem};

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

/// Verifies console tokens from both issuers.
pub struct Verifier {
    builtin: BuiltInIssuer,
    idp: Option<IdpKeys>,
}

/// The claims Signet reads; `exp`, `nbf`, `iss` and `aud` are checked by
/// the validation.
#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    tenant: Option<String>,
    role: String,
}

impl Verifier {
    /// Verifies with the built-in issuer's key and, if given, the IdP's.
    pub fn new(builtin: BuiltInIssuer, idp: Option<IdpKeys>) -> Self {
        Self { builtin, idp }
    }

    /// The built-in issuer, for its JWKS.
    pub fn builtin(&self) -> &BuiltInIssuer {
        &self.builtin
    }

    async fn verify(&self, token: &str) -> Result<Claims, Problem> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| refused(&e))?;
        let kid = header
            .kid
            .ok_or_else(|| unauthorized("the token names no signing key (`kid`)"))?;
        let (key, algorithm, iss, aud): (&DecodingKey, _, &str, &str);
        let idp_key;
        if kid == self.builtin.kid() {
            (key, algorithm) = (self.builtin.decoding_key(), Algorithm::EdDSA);
            (iss, aud) = (issuer::ISSUER, issuer::AUDIENCE);
        } else {
            let idp = self
                .idp
                .as_ref()
                .ok_or_else(|| unauthorized("the token's signing key is unknown"))?;
            idp_key = idp
                .key(&kid)
                .await
                .ok_or_else(|| unauthorized("the token's signing key is unknown"))?;
            (key, algorithm) = (&idp_key.key, idp_key.algorithm);
            (iss, aud) = (&idp.idp().issuer, &idp.idp().audience);
        }
        // The one algorithm the key's JWK allows: a token whose header names
        // another (none, HS256 keyed with the public key, ...) is refused.
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[iss]);
        validation.set_audience(&[aud]);
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| refused(&e))?;
        Ok(data.claims)
    }

    /// Who the token's claims name, with its tenant looked up.
    async fn principal(
        &self,
        admin: &Admin,
        token: &str,
        parts: &Parts,
    ) -> Result<Principal, Problem> {
        let claims = self.verify(token).await?;
        if claims.sub.trim().is_empty() {
            return Err(unauthorized("the token's `sub` is empty"));
        }
        let role = Role::parse(&claims.role)
            .ok_or_else(|| unauthorized("the token's `role` is not one Signet knows"))?;
        match (role, claims.tenant) {
            (Role::Operator, None) => Ok(Principal::Operator {
                subject: claims.sub,
            }),
            (Role::Operator, Some(_)) => {
                Err(unauthorized("an operator token must not name a tenant"))
            }
            (_, None) => Err(unauthorized("the token names no `tenant`")),
            (role, Some(name)) => {
                let unknown = || unauthorized("the token's tenant is unknown");
                let name = TenantName::parse(&name).map_err(|_| unknown())?;
                let tenant = match admin.tenant(&name).await {
                    Ok(tenant) => tenant,
                    Err(Error::NotFound(Entity::Tenant)) => return Err(unknown()),
                    Err(e) => return Err(e.into()),
                };
                Ok(Principal::Member(Member {
                    origin: origin(parts, &claims.sub),
                    subject: claims.sub,
                    role,
                    tenant,
                }))
            }
        }
    }
}

/// A 401 saying why a token was refused, logged without the token.
fn refused(e: &jsonwebtoken::errors::Error) -> Problem {
    let detail = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf`)".to_owned(),
        ErrorKind::InvalidIssuer => "the token's issuer (`iss`) is not accepted".to_owned(),
        ErrorKind::InvalidAudience => "the token's audience (`aud`) is not accepted".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no `{claim}` claim"),
        ErrorKind::InvalidAlgorithm => {
            "the token's algorithm is not the one its signing key allows".to_owned()
        }
        ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
        _ => "the token is not a valid console token".to_owned(),
    };
    tracing::info!(reason = %detail, "console token refused");
    unauthorized(detail)
}

/// A user of one tenant, with their role in it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The token's `sub`.
    pub subject: String,
    /// Their role.
    pub role: Role,
    /// The tenant every request of theirs acts on.
    pub tenant: Tenant,
    /// Where their changes come from, for the audit trail.
    pub origin: Origin,
}

/// Whoever a valid console token names.
#[derive(Debug, Clone)]
pub enum Principal {
    /// A tenant's viewer, admin or owner.
    Member(Member),
    /// A platform operator.
    Operator {
        /// The token's `sub`.
        subject: String,
    },
}

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

/// Where a console request's changes come from: the token's subject, the
/// request id the server answers with, and the connection's peer address.
fn origin(parts: &Parts, subject: &str) -> Origin {
    let actor = Actor::Console {
        subject: subject.to_owned(),
    };
    signet_http_kit::origin(parts, actor, Via::Console)
}

/// The token in `Authorization: Bearer TOKEN`.
fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let missing = || unauthorized("a console token is required: Authorization: Bearer TOKEN");
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
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
