//! Get, create, update and delete one DKIM Key.

use axum::extract::State;
use signet_domain::{DeleteRule, DkimKey, Tenant};

use crate::error::{ErrorEnvelope, GreenArrowError};
use crate::extract::{Caller, JsonBody, KeyIdPath};
use crate::wire::envelope::{Empty, Envelope};
use crate::wire::key::{KeyData, KeyPayload, KeyRecord, NewKeyPayload};
use crate::wire::payload::{create_command, update_command};
use crate::AppState;

/// The full record, with the private key only if the tenant's policy allows it.
async fn record(
    state: &AppState,
    tenant: &Tenant,
    key: &DkimKey,
) -> Result<KeyData, GreenArrowError> {
    let private = state.core.exportable_private_key(tenant, key.id).await?;
    Ok(KeyData {
        dkim_key: KeyRecord::new(key, private.as_ref()),
    })
}

/// Get details on a single DKIM Key.
///
/// `key.private` is present only when the tenant's `private_key_export`
/// setting is on; otherwise the field is omitted.
#[utoipa::path(
    get,
    path = "/ga/api/v3/eng/dkim_keys/{id}",
    tag = "DKIM Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key", body = Envelope<KeyData>),
        (status = 404, description = "`not_found`", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name, id = %id.0), err(Display, level = "info"))]
pub async fn get_key(
    tenant: Caller,
    State(state): State<AppState>,
    id: KeyIdPath,
) -> Result<Envelope<KeyData>, GreenArrowError> {
    let (Caller(tenant, _), KeyIdPath(id)) = (tenant, id);
    let key = state.core.get_key(&tenant, id).await?;
    Ok(Envelope::ok(record(&state, &tenant, &key).await?))
}

/// Create a DKIM Key.
///
/// Give `key.bits` (512 to 8192) to generate a key, or `key.private` (PEM,
/// PKCS#1 or PKCS#8) to import one; given both, the imported key is used and
/// `bits` must equal its size. An RSA key must be at least the tenant's
/// `min_rsa_bits` (1024 unless lowered to 512). Signet extension:
/// `key.algorithm: "ed25519"` generates an Ed25519 key (RFC 8463, `bits`
/// 256 or left out), and `key.private` may be an Ed25519 key in PKCS#8 PEM or
/// its 32-byte seed in base64. The key is active at once. With
/// `default_for_domain: true`, the domain's other keys lose the flag.
/// Read-only fields (`id`, `key.public`, `dns`) are refused.
#[utoipa::path(
    post,
    path = "/ga/api/v3/eng/dkim_keys",
    tag = "DKIM Keys",
    request_body = NewKeyPayload,
    responses(
        (status = 200, description = "The new key", body = Envelope<KeyData>),
        (status = 400, description = "`validation_failed` (one message per failing field, or a taken selector) or `invalid_request` (malformed JSON, wrong types, unknown fields)", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name), err(Display, level = "info"))]
pub async fn create_key(
    tenant: Caller,
    State(state): State<AppState>,
    JsonBody(payload): JsonBody<NewKeyPayload>,
) -> Result<Envelope<KeyData>, GreenArrowError> {
    let Caller(tenant, origin) = tenant;
    let command = create_command(payload.dkim_key.into())?;
    let key = state.core.create_key(&tenant, &origin, command).await?;
    Ok(Envelope::ok(record(&state, &tenant, &key).await?))
}

/// Update a DKIM Key.
///
/// Changes only the fields given: `domain`, `selector`, `default_for_domain`,
/// `key.private` (bits and algorithm follow the new key; an RSA key must be
/// at least the tenant's `min_rsa_bits`). `key.bits` and `key.algorithm` may
/// be sent only with the key's current values or a new `key.private` of them. Moving the
/// key's DNS record (new name or new key) resets its DNS status.
#[utoipa::path(
    put,
    path = "/ga/api/v3/eng/dkim_keys/{id}",
    tag = "DKIM Keys",
    params(("id" = i64, Path, description = "The key's id")),
    request_body = KeyPayload,
    responses(
        (status = 200, description = "The updated key", body = Envelope<KeyData>),
        (status = 400, description = "`validation_failed` or `invalid_request`", body = ErrorEnvelope),
        (status = 404, description = "`not_found`", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name, id = %id.0), err(Display, level = "info"))]
pub async fn update_key(
    tenant: Caller,
    State(state): State<AppState>,
    id: KeyIdPath,
    JsonBody(payload): JsonBody<KeyPayload>,
) -> Result<Envelope<KeyData>, GreenArrowError> {
    let (Caller(tenant, origin), KeyIdPath(id)) = (tenant, id);
    let (update, kept) = update_command(payload.dkim_key)?;
    if !kept.is_empty() {
        let current = state.core.get_key(&tenant, id).await?;
        kept.check(&current)?;
    }
    let key = state.core.update_key(&tenant, &origin, id, update).await?;
    Ok(Envelope::ok(record(&state, &tenant, &key).await?))
}

/// Delete a DKIM Key.
#[utoipa::path(
    delete,
    path = "/ga/api/v3/eng/dkim_keys/{id}",
    tag = "DKIM Keys",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "Deleted; `data` is `{}`", body = Envelope<Empty>),
        (status = 404, description = "`not_found`", body = ErrorEnvelope),
    )
)]
#[tracing::instrument(skip_all, fields(tenant = %tenant.0.name, id = %id.0), err(Display, level = "info"))]
pub async fn delete_key(
    tenant: Caller,
    State(state): State<AppState>,
    id: KeyIdPath,
) -> Result<Envelope<Empty>, GreenArrowError> {
    let (Caller(tenant, origin), KeyIdPath(id)) = (tenant, id);
    state
        .core
        .delete_key(&tenant, &origin, id, DeleteRule::Any)
        .await?;
    Ok(Envelope::ok(Empty::default()))
}
