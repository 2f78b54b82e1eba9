//! Console authentication: `Authorization: Bearer <JWT>` only, signed by the
//! external IdP (when configured) or by the built-in issuer, and whom a
//! valid token names; the role extractors the handlers take build on it.

use axum::http::request::Parts;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use signet_domain::{Actor, Admin, Entity, Error, Origin, Tenant, TenantName, Via};

use super::issuer::{self, BuiltInIssuer};
use super::jwks::IdpKeys;
use super::role::Role;
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
    pub(crate) async fn principal(
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

/// Where a console request's changes come from: the token's subject, the
/// request id the server answers with, and the connection's peer address.
pub(crate) fn origin(parts: &Parts, subject: &str) -> Origin {
    let actor = Actor::Console {
        subject: subject.to_owned(),
    };
    signet_http_kit::origin(parts, actor, Via::Console)
}
