//! The JSON shapes of the DKIM Keys API, as GreenArrow's page defines them.

use serde::de::IgnoredAny;
use serde::{Deserialize, Deserializer, Serialize};
use signet_domain::{DkimKey, PrivateKey};
use utoipa::ToSchema;

/// A PEM private key as it travels in `key.private`. Its `Debug` never shows
/// it, so neither does the `Debug` of anything holding one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Pem(pub String);

impl std::fmt::Debug for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(signet_domain::excerpt::REDACTED)
    }
}

/// Whether a field was sent at all, whatever its value (read-only fields).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Present(pub bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d)?;
        Ok(Self(true))
    }
}

/// The body of an update: `{"dkim_key": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyPayload {
    /// The attributes to set.
    pub dkim_key: KeyInput,
}

/// The writable attributes of a DKIM Key. On update every field is optional
/// and only those given change. Read-only fields (`id`, `key.public`,
/// `dns`, `stage`, `safe_to_remove`) and unknown fields are refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyInput {
    /// Read-only: refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub id: Present,
    /// 1 to 200 characters: dot-separated strings of letters, numbers and
    /// dashes, no dot next to a dash or another dot. Stored lower-case.
    #[schema(
        example = "my-domain.com",
        min_length = 1,
        max_length = 200,
        pattern = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
    )]
    pub domain: Option<String>,
    /// 1 to 200 characters: dot-separated strings of letters, numbers, dashes
    /// and underscores. Unique (case-insensitive) among the keys of the same
    /// (case-insensitive) domain.
    #[schema(
        example = "default",
        min_length = 1,
        max_length = 200,
        pattern = r"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$"
    )]
    pub selector: Option<String>,
    /// Makes this the domain's default key, clearing the flag on the domain's
    /// other keys. Defaults to `false` on create.
    pub default_for_domain: Option<bool>,
    /// The key material.
    pub key: Option<KeyMaterialInput>,
    /// Read-only: refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub dns: Present,
    /// Read-only (Signet extension): refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub stage: Present,
    /// Read-only (Signet extension): refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub safe_to_remove: Present,
}

/// The body of a create: `{"dkim_key": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyPayload {
    /// The new key's attributes.
    pub dkim_key: NewKeyInput,
}

/// A new DKIM Key: [`KeyInput`] with `domain`, `selector` and `key` required
/// (and `key` holding `bits` or `private`). They are `Option`s here so that a
/// payload missing several is answered with one message for each.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyInput {
    /// Read-only: refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub id: Present,
    /// 1 to 200 characters: dot-separated strings of letters, numbers and
    /// dashes, no dot next to a dash or another dot. Stored lower-case.
    #[schema(
        required = true,
        value_type = String,
        example = "my-domain.com",
        min_length = 1,
        max_length = 200,
        pattern = r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
    )]
    pub domain: Option<String>,
    /// 1 to 200 characters: dot-separated strings of letters, numbers, dashes
    /// and underscores. Unique (case-insensitive) among the keys of the same
    /// (case-insensitive) domain.
    #[schema(
        required = true,
        value_type = String,
        example = "default",
        min_length = 1,
        max_length = 200,
        pattern = r"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$"
    )]
    pub selector: Option<String>,
    /// Makes this the domain's default key, clearing the flag on the domain's
    /// other keys. Defaults to `false`.
    pub default_for_domain: Option<bool>,
    /// The key material: `bits` to generate a key, or `private` to import one.
    #[schema(required = true, value_type = KeyMaterialInput)]
    pub key: Option<KeyMaterialInput>,
    /// Read-only: refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub dns: Present,
    /// Read-only (Signet extension): refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub stage: Present,
    /// Read-only (Signet extension): refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub safe_to_remove: Present,
}

impl From<NewKeyInput> for KeyInput {
    fn from(input: NewKeyInput) -> Self {
        let NewKeyInput {
            id,
            domain,
            selector,
            default_for_domain,
            key,
            dns,
            stage,
            safe_to_remove,
        } = input;
        Self {
            id,
            domain,
            selector,
            default_for_domain,
            key,
            dns,
            stage,
            safe_to_remove,
        }
    }
}

/// Either `bits` (a key is generated) or `private` (a key is imported).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyMaterialInput {
    /// Signet extension: `rsa` (the default) or `ed25519` (RFC 8463). An
    /// Ed25519 key is generated with `bits` 256 or left out. With `private`,
    /// it must name the imported key's algorithm. May not change on an
    /// existing key except with a new `private`.
    #[schema(value_type = Option<String>, example = "rsa", pattern = "^(rsa|ed25519)$")]
    pub algorithm: Option<String>,
    /// Size of an RSA key to generate, 512 to 8192, and at least the
    /// tenant's `min_rsa_bits` (1024 unless lowered to 512); 256 (or left
    /// out) for Ed25519. With `private`, it must equal the imported key's
    /// size. May not change on an existing key.
    #[schema(example = 1024, minimum = 256, maximum = 8192)]
    pub bits: Option<i64>,
    /// A PEM private key, PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`), 512 to 8192 bits and at least the tenant's
    /// `min_rsa_bits` (1024 unless lowered to 512), on create and update.
    /// Signet extension: an Ed25519 key in PKCS#8 PEM (as `openssl genpkey
    /// -algorithm ed25519` writes it) or its 32-byte seed in base64.
    #[schema(value_type = Option<String>)]
    pub private: Option<Pem>,
    /// Read-only: refused with `validation_failed`.
    #[serde(default)]
    #[schema(ignore)]
    pub public: Present,
}

/// `data` of a single-key answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyData {
    /// The full record.
    pub dkim_key: KeyRecord,
}

/// A full DKIM Key record.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyRecord {
    /// Identifier, numbered per tenant and shared with the Mailgun dialect.
    pub id: i64,
    /// The signing domain, lower-case.
    pub domain: String,
    /// The selector, in the case it was given.
    pub selector: String,
    /// Whether this is the domain's default key.
    pub default_for_domain: bool,
    /// The key material.
    pub key: KeyMaterialOutput,
    /// The record to publish.
    pub dns: DnsOutput,
    /// Signet extension: where the key stands in its domain's rotation:
    /// `pending` (publish its record; it does not sign yet), `active`,
    /// `retiring` (keep its record) or `retired`.
    #[schema(pattern = "^(pending|active|retiring|retired)$")]
    pub stage: String,
    /// Signet extension: whether its DNS record may be removed (it is retired).
    pub safe_to_remove: bool,
}

/// `key` of a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyMaterialOutput {
    /// Signet extension: `rsa` or `ed25519`.
    #[schema(example = "rsa", pattern = "^(rsa|ed25519)$")]
    pub algorithm: String,
    /// Modulus size; 256 for Ed25519.
    pub bits: u32,
    /// The private key in PEM: PKCS#1 for RSA, PKCS#8 for Ed25519. Present
    /// only when the tenant's `private_key_export` setting is on; otherwise
    /// the field is omitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub private: Option<Pem>,
    /// As published in DNS: base64 DER SubjectPublicKeyInfo for RSA, base64
    /// of the raw 32-byte public key for Ed25519.
    pub public: String,
}

/// `dns` of a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsOutput {
    /// The TXT record receivers look up.
    pub public_key: DnsRecordOutput,
}

/// A DNS record to publish.
#[derive(Debug, Serialize, ToSchema)]
pub struct DnsRecordOutput {
    /// `{selector}._domainkey.{domain}`.
    #[schema(example = "default._domainkey.my-domain.com")]
    pub name: String,
    /// Always `TXT`.
    #[serde(rename = "type")]
    #[schema(example = "TXT")]
    pub record_type: String,
    /// `k=rsa; p={public}` or `k=ed25519; p={public}`.
    pub value: String,
    /// Signet extension: `value` as DNS character-strings of at most 255
    /// bytes each, in order; joined, they equal `value`.
    pub strings: Vec<String>,
}

impl KeyRecord {
    /// The wire record of a key, with its private half if it may be shown.
    pub fn new(key: &DkimKey, private: Option<&PrivateKey>) -> Self {
        let dns = key.dns_record();
        let strings = dns.strings().into_iter().map(str::to_owned).collect();
        Self {
            id: key.id.0,
            domain: key.signing_domain.to_string(),
            selector: key.selector.to_string(),
            default_for_domain: key.default_for_domain,
            key: KeyMaterialOutput {
                algorithm: key.algorithm.to_string(),
                bits: key.bits,
                private: private.map(|p| Pem(p.to_pem().to_string())),
                public: key.public_key.to_string(),
            },
            dns: DnsOutput {
                public_key: DnsRecordOutput {
                    name: dns.name,
                    record_type: dns.record_type.to_owned(),
                    strings,
                    value: dns.value,
                },
            },
            stage: key.stage.as_str().to_owned(),
            safe_to_remove: key.safe_to_remove(),
        }
    }
}

/// `data` of a list answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListData {
    /// One page of keys, ascending by id.
    pub dkim_keys: Vec<KeySummary>,
    /// Where this page is.
    pub pagination: Pagination,
}

/// A key as the list shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeySummary {
    /// Identifier.
    pub id: i64,
    /// The signing domain.
    pub domain: String,
    /// The selector.
    pub selector: String,
    /// Whether this is the domain's default key.
    pub default_for_domain: bool,
    /// Modulus size; 256 for Ed25519.
    pub key_bits: u32,
    /// Signet extension: `rsa` or `ed25519`.
    #[schema(example = "rsa", pattern = "^(rsa|ed25519)$")]
    pub key_algorithm: String,
    /// Signet extension: where the key stands in its domain's rotation:
    /// `pending` (publish its record; it does not sign yet), `active`,
    /// `retiring` (keep its record) or `retired`.
    #[schema(pattern = "^(pending|active|retiring|retired)$")]
    pub stage: String,
    /// Signet extension: whether its DNS record may be removed (it is retired).
    pub safe_to_remove: bool,
}

impl From<&DkimKey> for KeySummary {
    fn from(key: &DkimKey) -> Self {
        Self {
            id: key.id.0,
            domain: key.signing_domain.to_string(),
            selector: key.selector.to_string(),
            default_for_domain: key.default_for_domain,
            key_bits: key.bits,
            key_algorithm: key.algorithm.to_string(),
            stage: key.stage.as_str().to_owned(),
            safe_to_remove: key.safe_to_remove(),
        }
    }
}

/// Where a page sits in the result set.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// This page's number, from 0.
    pub page: u64,
    /// Records a page.
    pub per_page: u64,
    /// Pages in the result set.
    pub num_pages: u64,
    /// Records in the result set.
    pub num_records: u64,
    /// Fetches the next page; `null` on the last page. Stays valid while keys
    /// are added or removed: following tokens never skips or repeats a key.
    pub next_page_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_private_key() {
        let input: KeyMaterialInput =
            serde_json::from_value(serde_json::json!({ "private": "-----BEGIN SECRET" })).unwrap();
        assert!(!format!("{input:?}").contains("SECRET"));
        let output = KeyMaterialOutput {
            algorithm: "rsa".into(),
            bits: 1024,
            private: Some(Pem("-----BEGIN SECRET".into())),
            public: "MIG".into(),
        };
        assert!(!format!("{output:?}").contains("SECRET"));
    }

    #[test]
    fn a_read_only_field_counts_as_sent_even_when_null() {
        let input: KeyInput = serde_json::from_value(serde_json::json!({ "id": null })).unwrap();
        assert!(input.id.0);
        assert!(!input.dns.0);
    }
}
