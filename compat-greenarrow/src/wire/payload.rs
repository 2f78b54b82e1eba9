//! Turns a `dkim_key` payload into a core command, collecting every failing
//! field before answering.

use signet_domain::{
    CreateKey, DefaultFlag, DomainName, InvalidValue, KeyMaterial, KeySize, KeyUpdate, PrivateKey,
    Selector,
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
    bits: Option<KeySize>,
    private: Option<PrivateKey>,
}

fn material(p: &mut Problems, key: Option<&KeyMaterialInput>) -> Material {
    let bits = key
        .and_then(|k| k.bits)
        .and_then(|b| p.check("key.bits", KeySize::try_from(b)));
    let private = key
        .and_then(|k| k.private.as_ref())
        .and_then(|pem| p.check("key.private", PrivateKey::from_pem(&pem.0)));
    if let (Some(bits), Some(private)) = (bits, &private) {
        if bits != private.size() {
            p.field(
                "key.bits",
                format!(
                    "must equal the size of key.private ({} bits), or be left out",
                    private.size()
                ),
            );
        }
    }
    Material { bits, private }
}

/// A create command; every field is checked before any error is returned.
/// A key is generated from `key.bits` or imported from `key.private`; given
/// both, the imported key wins and `bits` must match its size.
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
    if key.is_none_or(|k| k.bits.is_none() && k.private.is_none()) {
        p.field("key", "must have either bits or private");
    }
    let Material { bits, private } = material(&mut p, key);
    let material = private
        .map(KeyMaterial::Import)
        .or(bits.map(KeyMaterial::Generate));
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

/// An update command, and the `key.bits` the caller sent without a new
/// private key (it must equal the key's current size; see [`check_bits_kept`]).
pub fn update_command(input: KeyInput) -> Result<(KeyUpdate, Option<i64>), GreenArrowError> {
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
    let sent_bits = key.and_then(|k| k.bits);
    let has_private = key.is_some_and(|k| k.private.is_some());
    // Without a new private key, bits are compared with the stored key only.
    let Material { private, .. } = if has_private {
        material(&mut p, key)
    } else {
        Material {
            bits: None,
            private: None,
        }
    };
    p.into_result()?;
    let update = KeyUpdate {
        signing_domain,
        selector,
        default_for_domain: input.default_for_domain,
        private_key: private,
    };
    Ok((update, sent_bits.filter(|_| !has_private)))
}

/// `key.bits` may be sent on update only if it does not change the size.
pub fn check_bits_kept(sent: i64, current: KeySize) -> Result<(), GreenArrowError> {
    if sent == i64::from(current.bits()) {
        Ok(())
    } else {
        Err(GreenArrowError::validation(vec![format!(
            "key.bits may not be changed on existing keys (this key has {current} bits)"
        )]))
    }
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
    fn an_update_may_repeat_bits_but_not_change_them() {
        let size = KeySize::try_from(1024u32).unwrap();
        assert!(check_bits_kept(1024, size).is_ok());
        assert!(check_bits_kept(2048, size).is_err());
    }

    #[test]
    fn an_empty_update_changes_nothing() {
        let (update, bits) = update_command(input(serde_json::json!({}))).unwrap();
        assert!(update.signing_domain.is_none() && update.selector.is_none());
        assert!(update.default_for_domain.is_none() && update.private_key.is_none());
        assert!(bits.is_none());
    }
}
