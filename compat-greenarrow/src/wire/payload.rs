//! Turns a `dkim_key` payload into a core command, collecting every failing
//! field before answering.

use signet_domain::{
    CreateKey, DefaultFlag, DkimKey, DomainName, InvalidValue, KeyAlgorithm, KeyMaterial, KeySize,
    KeySpec, KeyUpdate, PrivateKey, Selector,
};

use crate::error::GreenArrowError;
use crate::wire::key::{KeyInput, KeyMaterialInput};

/// The messages of the fields that failed, in payload order.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn field(&mut self, field: &str, reason: impl std::fmt::Display) {
        self.0.push(format!("{field} {reason}"));
    }

    /// Keeps the parsed value, or notes why it failed.
    fn check<T>(&mut self, field: &str, parsed: Result<T, InvalidValue>) -> Option<T> {
        parsed.map_err(|e| self.field(field, e)).ok()
    }

    fn read_only(&mut self, input: &KeyInput) {
        let key_public = input.key.as_ref().is_some_and(|k| k.public.0);
        for (field, sent) in [
            ("id", input.id.0),
            ("key.public", key_public),
            ("dns", input.dns.0),
            ("stage", input.stage.0),
            ("safe_to_remove", input.safe_to_remove.0),
        ] {
            if sent {
                self.field(field, "is read-only and may not be specified");
            }
        }
    }

    fn into_result(self) -> Result<(), GreenArrowError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(GreenArrowError::validation(self.0))
        }
    }
}

/// What `key` asks for, once parsed.
struct Material {
    algorithm: Option<KeyAlgorithm>,
    spec: Option<KeySpec>,
    private: Option<PrivateKey>,
}

fn algorithm(p: &mut Problems, key: Option<&KeyMaterialInput>) -> Option<KeyAlgorithm> {
    key.and_then(|k| k.algorithm.as_deref())
        .and_then(|a| p.check("key.algorithm", a.parse()))
}

/// `key.bits` for `algorithm`: an RSA size, or 256 for Ed25519.
fn spec(algorithm: KeyAlgorithm, bits: i64) -> Result<KeySpec, InvalidValue> {
    match algorithm {
        KeyAlgorithm::Rsa => KeySize::try_from(bits).map(KeySpec::Rsa),
        KeyAlgorithm::Ed25519 => KeySpec::new(algorithm, u32::try_from(bits).unwrap_or(0)),
    }
}

fn material(p: &mut Problems, key: Option<&KeyMaterialInput>) -> Material {
    let algorithm = algorithm(p, key);
    let bits = key.and_then(|k| k.bits);
    let imported = key
        .and_then(|k| k.private.as_ref())
        .map(|pem| PrivateKey::import(&pem.0));
    // With a readable key.private, `bits` is only compared with its size
    // (below) rather than read as a size to generate: 256 goes with Ed25519.
    let readable = imported.as_ref().is_some_and(Result::is_ok);
    let spec = bits
        .filter(|_| !readable)
        .and_then(|b| p.check("key.bits", spec(algorithm.unwrap_or_default(), b)));
    let private = imported.and_then(|parsed| p.check("key.private", parsed));
    if let Some(private) = &private {
        if algorithm.is_some_and(|a| a != private.algorithm()) {
            p.field(
                "key.algorithm",
                format!(
                    "must equal the algorithm of key.private ({}), or be left out",
                    private.algorithm()
                ),
            );
        } else if bits.is_some_and(|b| b != i64::from(private.spec().bits())) {
            p.field(
                "key.bits",
                format!(
                    "must equal the size of key.private ({} bits), or be left out",
                    private.spec().bits()
                ),
            );
        }
    }
    Material {
        algorithm,
        spec,
        private,
    }
}

/// A create command; every field is checked before any error is returned.
/// A key is generated from `key.bits` (or `key.algorithm: ed25519`) or
/// imported from `key.private`; given both, the imported key wins and `bits`
/// must match its size.
pub fn create_command(input: KeyInput) -> Result<CreateKey, GreenArrowError> {
    let mut p = Problems::default();
    p.read_only(&input);
    let domain = required(&mut p, "domain", input.domain.as_deref(), DomainName::parse);
    let selector = required(
        &mut p,
        "selector",
        input.selector.as_deref(),
        Selector::parse,
    );
    let key = input.key.as_ref();
    let Material {
        algorithm,
        spec,
        private,
    } = material(&mut p, key);
    let ed25519 = algorithm == Some(KeyAlgorithm::Ed25519);
    if key.is_none_or(|k| k.bits.is_none() && k.private.is_none()) && !ed25519 {
        p.field("key", "must have either bits or private");
    }
    let material = private
        .map(KeyMaterial::Import)
        .or(spec.map(KeyMaterial::Generate))
        .or(ed25519.then_some(KeyMaterial::Generate(KeySpec::Ed25519)));
    match (domain, selector, material) {
        (Some(signing_domain), Some(selector), Some(material)) if p.0.is_empty() => Ok(CreateKey {
            signing_domain,
            selector,
            material,
            active: true,
            default_for_domain: if input.default_for_domain.unwrap_or(false) {
                DefaultFlag::Yes
            } else {
                DefaultFlag::No
            },
        }),
        _ => Err(GreenArrowError::validation(p.0)),
    }
}

fn required<T>(
    p: &mut Problems,
    field: &str,
    value: Option<&str>,
    parse: fn(&str) -> Result<T, InvalidValue>,
) -> Option<T> {
    match value {
        Some(v) => p.check(field, parse(v)),
        None => {
            p.field(field, "is required");
            None
        }
    }
}

/// What an update sent about the key's kind without a new private key: it
/// may only repeat the key's current algorithm and size (see [`Kept::check`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Kept {
    algorithm: Option<KeyAlgorithm>,
    bits: Option<i64>,
}

impl Kept {
    /// Refuses a change of `key.algorithm` or `key.bits` on `current`.
    pub fn check(&self, current: &DkimKey) -> Result<(), GreenArrowError> {
        let mut p = Problems::default();
        if self.algorithm.is_some_and(|a| a != current.algorithm) {
            p.field(
                "key.algorithm",
                format!(
                    "may not be changed on existing keys without a new key.private \
                     (this key is {})",
                    current.algorithm
                ),
            );
        }
        if self.bits.is_some_and(|b| b != i64::from(current.bits)) {
            p.field(
                "key.bits",
                format!(
                    "may not be changed on existing keys (this key has {} bits)",
                    current.bits
                ),
            );
        }
        p.into_result()
    }

    /// Whether anything was sent to compare.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An update command, and what the caller sent of `key.algorithm` and
/// `key.bits` without a new private key.
pub fn update_command(input: KeyInput) -> Result<(KeyUpdate, Kept), GreenArrowError> {
    let mut p = Problems::default();
    p.read_only(&input);
    let signing_domain = input
        .domain
        .as_deref()
        .and_then(|d| p.check("domain", DomainName::parse(d)));
    let selector = input
        .selector
        .as_deref()
        .and_then(|s| p.check("selector", Selector::parse(s)));
    let key = input.key.as_ref();
    let has_private = key.is_some_and(|k| k.private.is_some());
    // Without a new private key, algorithm and bits are compared with the
    // stored key only.
    let (private, kept) = if has_private {
        (material(&mut p, key).private, Kept::default())
    } else {
        let kept = Kept {
            algorithm: algorithm(&mut p, key),
            bits: key.and_then(|k| k.bits),
        };
        (None, kept)
    };
    p.into_result()?;
    let update = KeyUpdate {
        signing_domain,
        selector,
        default_for_domain: input.default_for_domain,
        private_key: private,
    };
    Ok((update, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn input(json: serde_json::Value) -> KeyInput {
        serde_json::from_value(json).unwrap()
    }

    fn messages(e: GreenArrowError) -> String {
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        e.to_string()
    }

    #[test]
    fn every_failing_field_is_reported_at_once() {
        let e = create_command(input(serde_json::json!({
            "id": 3, "domain": "a..b", "selector": "", "key": {"bits": 511, "public": "x"}
        })))
        .unwrap_err();
        let text = messages(e);
        for part in [
            "id is read-only",
            "key.public is read-only",
            "domain must be a domain name",
            "selector must be from 1 to 200 characters in length",
            "key.bits must be a positive integer greater than or equal to 512",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }

    #[test]
    fn a_create_needs_domain_selector_and_key() {
        let text = messages(create_command(input(serde_json::json!({}))).unwrap_err());
        assert!(text.contains("domain is required"), "{text}");
        assert!(text.contains("selector is required"), "{text}");
        assert!(
            text.contains("key must have either bits or private"),
            "{text}"
        );
    }

    #[test]
    fn bits_alone_generate_a_key_that_is_active() {
        let cmd = create_command(input(serde_json::json!({
            "domain": "Example.com", "selector": "s1", "key": {"bits": 1024}
        })))
        .unwrap();
        assert!(matches!(cmd.material, KeyMaterial::Generate(b) if b.bits() == 1024));
        assert!(cmd.active);
        assert_eq!(cmd.default_for_domain, DefaultFlag::No);
        assert_eq!(cmd.signing_domain.as_str(), "example.com");
    }

    #[test]
    fn algorithm_ed25519_alone_generates_an_ed25519_key() {
        for key in [
            serde_json::json!({"algorithm": "ed25519"}),
            serde_json::json!({"algorithm": "ed25519", "bits": 256}),
        ] {
            let cmd = create_command(input(serde_json::json!({
                "domain": "example.com", "selector": "s1", "key": key
            })))
            .unwrap();
            assert!(matches!(
                cmd.material,
                KeyMaterial::Generate(KeySpec::Ed25519)
            ));
        }
    }

    #[test]
    fn ed25519_with_other_bits_or_an_unknown_algorithm_is_refused() {
        let create = |key: serde_json::Value| {
            messages(
                create_command(input(serde_json::json!({
                    "domain": "example.com", "selector": "s1", "key": key
                })))
                .unwrap_err(),
            )
        };
        let text = create(serde_json::json!({"algorithm": "ed25519", "bits": 2048}));
        assert!(
            text.contains("key.bits must be 256 for an ed25519 key"),
            "{text}"
        );
        let text = create(serde_json::json!({"algorithm": "dsa", "bits": 2048}));
        assert!(
            text.contains("key.algorithm must be one of: rsa, ed25519"),
            "{text}"
        );
    }

    #[test]
    fn rsa_alone_still_needs_bits() {
        let text = messages(
            create_command(input(serde_json::json!({
                "domain": "example.com", "selector": "s1", "key": {"algorithm": "rsa"}
            })))
            .unwrap_err(),
        );
        assert!(
            text.contains("key must have either bits or private"),
            "{text}"
        );
    }

    #[test]
    fn bits_alone_are_active_and_not_default() {
        let cmd = create_command(input(serde_json::json!({
            "domain": "Example.com", "selector": "s1", "key": {"bits": 1024}
        })))
        .unwrap();
        assert!(cmd.active);
        assert_eq!(cmd.default_for_domain, DefaultFlag::No);
        assert_eq!(cmd.signing_domain.as_str(), "example.com");
    }

    #[test]
    fn an_empty_update_changes_nothing() {
        let (update, kept) = update_command(input(serde_json::json!({}))).unwrap();
        assert!(update.signing_domain.is_none() && update.selector.is_none());
        assert!(update.default_for_domain.is_none() && update.private_key.is_none());
        assert!(kept.is_empty());
    }
}
