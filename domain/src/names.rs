//! Parsed names: signing domains and DKIM selectors.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::InvalidValue;

/// Longest domain name or selector accepted (GreenArrow's limit).
pub const MAX_NAME_LEN: usize = 200;

/// A domain name: dot-separated labels of letters, digits and dashes, where a
/// dot is never next to a dash or another dot. Stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Parses and lower-cases a domain name.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        check_length(s)?;
        if !s.split('.').all(|label| is_label(label, false)) {
            return Err(InvalidValue(
                "must be a domain name: dot-separated strings of only letters, numbers, and dashes, with no dot next to a dash or another dot".into(),
            ));
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    /// The name, lower-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The proper parent domains, nearest first (`a.b.c` gives `b.c`, then `c`).
    pub fn parents(&self) -> impl Iterator<Item = DomainName> + '_ {
        self.0
            .match_indices('.')
            .map(|(i, _)| DomainName(self.0[i + 1..].to_owned()))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An RFC 6376 selector: dot-separated labels. Compared case-insensitively;
/// the case it was given in is kept for display.
#[derive(Debug, Clone, Eq)]
pub struct Selector(String);

impl Selector {
    /// Parses a selector.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        check_length(s)?;
        if !s.split('.').all(|label| is_label(label, true)) {
            return Err(InvalidValue(
                "must be dot-separated strings of only letters, numbers, dashes and underscores"
                    .into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The selector as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn folded(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Hash for Selector {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_length(s: &str) -> Result<(), InvalidValue> {
    if s.is_empty() || s.chars().count() > MAX_NAME_LEN {
        return Err(InvalidValue(format!(
            "must be from 1 to {MAX_NAME_LEN} characters in length"
        )));
    }
    Ok(())
}

/// A label of letters, digits and dashes (and underscores in selectors) that
/// neither starts nor ends with a dash, so no dot is ever next to a dash.
fn is_label(label: &str, allow_underscore: bool) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || (allow_underscore && b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_with_a_dash_inside_a_label_is_accepted() {
        assert_eq!(
            DomainName::parse("a-b.example.com").unwrap().as_str(),
            "a-b.example.com"
        );
    }

    #[test]
    fn a_domain_is_stored_lower_case() {
        assert_eq!(
            DomainName::parse("Example.COM").unwrap().as_str(),
            "example.com"
        );
    }

    #[test]
    fn a_dash_next_to_a_dot_is_rejected() {
        assert!(DomainName::parse("a-.example.com").is_err());
        assert!(DomainName::parse("a.-example.com").is_err());
    }

    #[test]
    fn two_dots_in_a_row_are_rejected() {
        assert!(DomainName::parse("a..example.com").is_err());
    }

    #[test]
    fn a_leading_or_trailing_dot_is_rejected() {
        assert!(DomainName::parse(".example.com").is_err());
        assert!(DomainName::parse("example.com.").is_err());
    }

    #[test]
    fn an_empty_or_overlong_domain_gets_the_length_message() {
        let long = format!("{}.com", "a".repeat(197));
        assert_eq!(
            DomainName::parse("").unwrap_err().0,
            "must be from 1 to 200 characters in length"
        );
        assert!(DomainName::parse(&long).is_err());
        assert!(DomainName::parse(&long[1..]).is_ok());
    }

    #[test]
    fn other_characters_are_rejected() {
        for bad in [
            "ex ample.com",
            "ex_ample.com",
            "exämple.com",
            "example.com/x",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parents_run_from_nearest_to_top() {
        let d = DomainName::parse("a.b.example.com").unwrap();
        let parents: Vec<_> = d.parents().map(|p| p.to_string()).collect();
        assert_eq!(parents, ["b.example.com", "example.com", "com"]);
    }

    #[test]
    fn selectors_compare_case_insensitively_but_keep_their_case() {
        let a = Selector::parse("Mail2024").unwrap();
        assert_eq!(a, Selector::parse("mail2024").unwrap());
        assert_eq!(a.as_str(), "Mail2024");
        assert_eq!(a.folded(), "mail2024");
    }

    #[test]
    fn a_selector_may_have_several_labels() {
        assert!(Selector::parse("s1.eu-west").is_ok());
    }

    #[test]
    fn a_selector_with_two_dots_in_a_row_is_rejected() {
        assert!(Selector::parse("s1..x").is_err());
        assert!(Selector::parse("").is_err());
        assert!(Selector::parse("has space").is_err());
        assert!(Selector::parse(&"s".repeat(201)).is_err());
    }
}
