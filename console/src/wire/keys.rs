//! The wire types of `keys.rs`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use signet_domain::{DkimKey, KeyAlgorithm, KeyMaterial, KeySpec, PrivateKey};
use utoipa::{IntoParams, ToSchema};

use crate::error::Problem;

/// Most items a page may hold.
pub const MAX_LIMIT: u64 = 1000;
/// Items on a page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: u64 = 100;

/// A key, never with its private half.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyItem {
    /// The key's id, the same as GreenArrow's `id` (Mailgun names keys by domain and selector).
    pub id: i64,
    /// The signing domain, whose DNS publishes the key.
    pub domain: String,
    /// The selector.
    pub selector: String,
    /// `rsa` or `ed25519`.
    pub algorithm: String,
    /// The RSA modulus size, or 256 for Ed25519.
    pub bits: u32,
    /// May sign mail.
    pub active: bool,
    /// Its domain signs with it when no selector is named.
    pub default_for_domain: bool,
    /// Where it stands in its domain's rotation: `pending`, `active`,
    /// `retiring` or `retired`.
    pub stage: String,
    /// Its DNS record may be removed (the key is retired).
    pub safe_to_remove: bool,
    /// The TXT record to publish, and what DNS said when last asked.
    pub dns: DnsState,
    /// Where it was made: `mailgun`, `greenarrow`, `console` or `cli`; `null`
    /// for a key made before Signet recorded it.
    pub created_via: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A key's DNS record and its state.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsState {
    /// `{selector}._domainkey.{domain}`.
    pub name: String,
    /// The TXT value to publish there.
    pub value: String,
    /// `value` as DNS character-strings of at most 255 bytes each, in order;
    /// joined, they equal `value`.
    pub strings: Vec<String>,
    /// `valid`, `invalid` or `unknown` (never checked, or the lookup failed).
    pub status: String,
    /// When it was last looked up.
    pub checked_at: Option<DateTime<Utc>>,
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
    pub items: Vec<KeyItem>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Which keys to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListKeys {
    /// Only keys of this signing domain; empty for all.
    #[param(
        pattern = r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)?$",
        max_length = 200
    )]
    pub domain: Option<String>,
    /// `next_cursor` of the previous page. A cursor this server did not hand
    /// out is refused with 400.
    #[param(pattern = r"^[A-Za-z0-9_-]*={0,2}$", max_length = 512)]
    pub cursor: Option<String>,
    /// Keys per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u64>,
}

/// What a page cursor carries.
#[derive(Debug, Serialize, Deserialize)]
pub struct After {
    pub after: i64,
}

/// A key to create (`bits`, or `algorithm: ed25519`) or import (`private_key`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// The signing domain: dot-separated labels of letters, digits and inner
    /// dashes, at most 200 characters.
    #[schema(
        pattern = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$",
        min_length = 1,
        max_length = 200
    )]
    pub domain: String,
    /// The selector, unique within the domain.
    pub selector: String,
    /// `rsa` (the default) or `ed25519`. With `private_key`, it must name
    /// the imported key's algorithm.
    #[schema(value_type = Option<String>, pattern = "^(rsa|ed25519)$")]
    pub algorithm: Option<String>,
    /// Generate a key of this size: for RSA at least the tenant's
    /// `min_rsa_bits`; for Ed25519 only 256, and it may be left out.
    pub bits: Option<u32>,
    /// Import this key instead: RSA in PEM (PKCS#1 or PKCS#8), or Ed25519 in
    /// PKCS#8 PEM or as its 32-byte seed in base64.
    pub private_key: Option<String>,
}

impl NewKey {
    /// Generated or imported, as the fields ask.
    pub fn material(&self) -> Result<KeyMaterial, Problem> {
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
