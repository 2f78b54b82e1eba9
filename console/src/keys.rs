//! The tenant's DKIM keys, however they were made: list, create or import,
//! delete, verify DNS now.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{
    cursor, CreateKey, DefaultFlag, DeleteRule, DkimKey, DomainName, KeyAlgorithm, KeyFilter,
    KeyId, KeyMaterial, KeyQuery, KeySpec, PageStart, PrivateKey, Selector,
};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Reader, Writer};
use super::ConsoleState;
use crate::error::{Body, Path, Problem, Query};

/// Most items a page may hold.
pub const MAX_LIMIT: u64 = 1000;
/// Items on a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 100;

/// A key, never with its private half.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyItem {
    /// The key's id, the same as GreenArrow's `id` (Mailgun names keys by domain and selector).
    id: i64,
    /// The signing domain, whose DNS publishes the key.
    domain: String,
    /// The selector.
    selector: String,
    /// `rsa` or `ed25519`.
    algorithm: String,
    /// The RSA modulus size, or 256 for Ed25519.
    bits: u32,
    /// May sign mail.
    active: bool,
    /// Its domain signs with it when no selector is named.
    default_for_domain: bool,
    /// Where it stands in its domain's rotation: `pending`, `active`,
    /// `retiring` or `retired`.
    stage: String,
    /// Its DNS record may be removed (the key is retired).
    safe_to_remove: bool,
    /// The TXT record to publish, and what DNS said when last asked.
    dns: DnsState,
    /// Where it was made: `mailgun`, `greenarrow`, `console` or `cli`; `null`
    /// for a key made before Signet recorded it.
    created_via: Option<String>,
    /// When it was made.
    created_at: DateTime<Utc>,
    /// When it last changed.
    updated_at: DateTime<Utc>,
}

/// A key's DNS record and its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsState {
    /// `{selector}._domainkey.{domain}`.
    name: String,
    /// The TXT value to publish there.
    value: String,
    /// `value` as DNS character-strings of at most 255 bytes each, in order;
    /// joined, they equal `value`.
    strings: Vec<String>,
    /// `valid`, `invalid` or `unknown` (never checked, or the lookup failed).
    status: String,
    /// When it was last looked up.
    checked_at: Option<DateTime<Utc>>,
}

impl DnsState {
    /// The record and state of `key`.
    pub fn of(key: &DkimKey) -> Self {
        let record = key.dns_record();
        Self {
            strings: record.strings().into_iter().map(str::to_owned).collect(),
            name: record.name,
            value: record.value,
            status: key.dns.status.as_str().to_owned(),
            checked_at: key.dns.checked_at,
        }
    }
}

impl From<&DkimKey> for KeyItem {
    fn from(key: &DkimKey) -> Self {
        Self {
            id: key.id.0,
            domain: key.signing_domain.to_string(),
            selector: key.selector.to_string(),
            algorithm: key.algorithm.to_string(),
            bits: key.bits,
            active: key.active,
            default_for_domain: key.default_for_domain,
            stage: key.stage.to_string(),
            safe_to_remove: key.safe_to_remove(),
            dns: DnsState::of(key),
            created_via: key.created_via.map(|via| via.as_str().to_owned()),
            created_at: key.created_at,
            updated_at: key.updated_at,
        }
    }
}

/// One page of keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyPage {
    /// Keys in ascending id order.
    items: Vec<KeyItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

/// Which keys to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListKeys {
    /// Only keys of this signing domain.
    domain: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Keys per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u64>,
}

/// What a page cursor carries.
#[derive(Debug, Serialize, Deserialize)]
struct After {
    after: i64,
}

/// A page's size from `limit`.
pub fn page_limit(limit: Option<u64>) -> Result<u64, Problem> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(Problem::bad_request("limit must be from 1 to 1000")),
    }
}

fn parse_domain(s: &str) -> Result<DomainName, Problem> {
    DomainName::parse(s).map_err(|e| Problem::bad_request(format!("domain {e}")))
}

/// List the tenant's keys.
///
/// Every key, whichever dialect or console made it, in ascending id order.
#[utoipa::path(
    get,
    path = "/console/v1/keys",
    tag = "Keys",
    params(ListKeys),
    responses((status = 200, description = "A page of keys", body = KeyPage))
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn list_keys(
    member: Reader,
    State(state): State<ConsoleState>,
    Query(query): Query<ListKeys>,
) -> Result<Json<KeyPage>, Problem> {
    let Reader(member) = member;
    let limit = page_limit(query.limit)?;
    let start = match super::nonempty(query.cursor.as_deref()) {
        None => PageStart::First,
        Some(token) => {
            let After { after } = cursor::decode(token).ok_or_else(|| {
                Problem::bad_request("cursor must be a next_cursor of a previous page")
            })?;
            PageStart::After(KeyId(after))
        }
    };
    let filter = KeyFilter {
        signing_domain: super::nonempty(query.domain.as_deref())
            .map(parse_domain)
            .transpose()?,
        selector: None,
    };
    let keys = state
        .core
        .list_keys(
            &member.tenant,
            &KeyQuery {
                filter,
                start,
                limit: limit + 1,
            },
        )
        .await?;
    let more = keys.len() as u64 > limit;
    let items: Vec<KeyItem> = keys
        .iter()
        .take(limit as usize)
        .map(KeyItem::from)
        .collect();
    let next_cursor = more
        .then(|| items.last().map(|k| cursor::encode(&After { after: k.id })))
        .flatten();
    Ok(Json(KeyPage { items, next_cursor }))
}

/// A key to create (`bits`, or `algorithm: ed25519`) or import (`private_key`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The signing domain.
    domain: String,
    /// The selector, unique within the domain.
    selector: String,
    /// `rsa` (the default) or `ed25519`. With `private_key`, it must name
    /// the imported key's algorithm.
    #[schema(value_type = Option<String>, pattern = "^(rsa|ed25519)$")]
    algorithm: Option<String>,
    /// Generate a key of this size: for RSA at least the tenant's
    /// `min_rsa_bits`; for Ed25519 only 256, and it may be left out.
    bits: Option<u32>,
    /// Import this key instead: RSA in PEM (PKCS#1 or PKCS#8), or Ed25519 in
    /// PKCS#8 PEM or as its 32-byte seed in base64.
    private_key: Option<String>,
}

impl NewKey {
    /// Generated or imported, as the fields ask.
    fn material(&self) -> Result<KeyMaterial, Problem> {
        let algorithm = self
            .algorithm
            .as_deref()
            .map(str::parse::<KeyAlgorithm>)
            .transpose()
            .map_err(|e| Problem::bad_request(format!("algorithm {e}")))?;
        match (self.bits, &self.private_key, algorithm) {
            (None, Some(pem), algorithm) => {
                let key = PrivateKey::import(pem)
                    .map_err(|e| Problem::bad_request(format!("private_key {e}")))?;
                match algorithm {
                    Some(algorithm) if algorithm != key.algorithm() => {
                        Err(Problem::bad_request(format!(
                            "algorithm must be {} to import this private_key",
                            key.algorithm()
                        )))
                    }
                    _ => Ok(KeyMaterial::Import(key)),
                }
            }
            (Some(bits), None, algorithm) => KeySpec::new(algorithm.unwrap_or_default(), bits)
                .map(KeyMaterial::Generate)
                .map_err(|e| Problem::bad_request(format!("bits {e}"))),
            (None, None, Some(KeyAlgorithm::Ed25519)) => {
                Ok(KeyMaterial::Generate(KeySpec::Ed25519))
            }
            _ => Err(Problem::bad_request(
                "give exactly one of bits (to generate; optional for ed25519) and private_key \
                 (to import)",
            )),
        }
    }
}

/// Create or import a key.
///
/// Give exactly one of `bits` and `private_key` (`bits` may be left out with
/// `algorithm: ed25519`). The key is active at once and becomes its domain's
/// default if it is the domain's first.
#[utoipa::path(
    post,
    path = "/console/v1/keys",
    tag = "Keys",
    request_body = NewKey,
    responses(
        (status = 201, description = "The new key", body = KeyItem),
        (status = 409, description = "The domain has a key with this selector", body = super::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "The key is below the tenant's minimum size", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name), err(Display, level = "info"))]
pub async fn create_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Body(new): Body<NewKey>,
) -> Result<(StatusCode, Json<KeyItem>), Problem> {
    let Writer(member) = member;
    let signing_domain = parse_domain(&new.domain)?;
    let selector = Selector::parse(&new.selector)
        .map_err(|e| Problem::bad_request(format!("selector {e}")))?;
    let material = new.material()?;
    let command = CreateKey {
        signing_domain,
        selector,
        material,
        active: true,
        default_for_domain: DefaultFlag::IfFirst,
    };
    let key = state
        .core
        .create_key(&member.tenant, &member.origin, command)
        .await?;
    Ok((StatusCode::CREATED, Json(KeyItem::from(&key))))
}

/// Delete a key.
#[utoipa::path(
    delete,
    path = "/console/v1/keys/{id}",
    tag = "Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such key in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name, id), err(Display, level = "info"))]
pub async fn delete_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    let Writer(member) = member;
    tracing::Span::current().record("id", id);
    state
        .core
        .delete_key(&member.tenant, &member.origin, KeyId(id), DeleteRule::Any)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Check a key's DNS record now.
///
/// Looks the record up at once (past any cache) and stores the result.
#[utoipa::path(
    post,
    path = "/console/v1/keys/{id}/verify",
    tag = "Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key with its new DNS state", body = KeyItem),
        (status = 404, description = "No such key in this tenant", body = super::error::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %member.0.tenant.name, id), err(Display, level = "info"))]
pub async fn verify_key(
    member: Writer,
    State(state): State<ConsoleState>,
    Path(id): Path<i64>,
) -> Result<Json<KeyItem>, Problem> {
    let Writer(member) = member;
    tracing::Span::current().record("id", id);
    let key = state
        .core
        .verify_key(&member.tenant, &member.origin, KeyId(id))
        .await?;
    Ok(Json(KeyItem::from(&key)))
}
