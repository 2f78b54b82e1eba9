//! How an authority's keys rotate: its policy, the spans it is written in,
//! and the dated selectors a rotation gives its new keys.

use std::fmt;

use chrono::{DateTime, Duration, Utc};

use crate::algorithm::KeyAlgorithm;
use crate::error::InvalidValue;
use crate::names::{Selector, MAX_NAME_LEN};

/// A whole number of seconds written with one unit: `5d`, `24h`, `30m`,
/// `45s` (a bare number is seconds). It is shown as it was written (`24h`
/// stays `24h`, though it equals `1d`), so that a client comparing what it
/// set with what it reads sees no difference; a span Signet makes itself is
/// shown in the largest unit that divides it. Spans compare by length.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    seconds: i64,
    /// The unit as written; `None` for a bare number of seconds.
    unit: Option<char>,
}

/// Units, largest first, with their length in seconds.
const UNITS: [(char, i64); 4] = [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// Ten years: far beyond any sensible rotation, and safe from overflow.
const MAX_SPAN_SECONDS: i64 = 10 * 366 * 86_400;

/// The length of `unit` (either case), if it is one.
fn unit_length(unit: char) -> Option<i64> {
    let unit = unit.to_ascii_lowercase();
    UNITS.iter().find(|(u, _)| *u == unit).map(|(_, l)| *l)
}

impl Span {
    /// A span of this many seconds (negative counts as zero).
    pub fn seconds(n: i64) -> Self {
        let seconds = n.clamp(0, MAX_SPAN_SECONDS);
        let (unit, _) = UNITS
            .into_iter()
            .find(|(_, length)| seconds % length == 0 && seconds > 0)
            .unwrap_or(('s', 1));
        Self {
            seconds,
            unit: Some(unit),
        }
    }

    /// A span of this many days.
    pub fn days(n: i64) -> Self {
        Self::seconds(n * 86_400)
    }

    /// Reads `N`, `Ns`, `Nm`, `Nh` or `Nd`.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let wrong =
            || InvalidValue("must be a whole number with a unit: d, h, m or s (such as 5d)".into());
        let (digits, unit) = match s.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&s[..i], Some(c)),
            _ => (s, None),
        };
        let length = match unit {
            Some(unit) => unit_length(unit).ok_or_else(wrong)?,
            None => 1,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(wrong());
        }
        let n: i64 = digits.parse().map_err(|_| wrong())?;
        n.checked_mul(length)
            .filter(|s| *s <= MAX_SPAN_SECONDS)
            .map(|seconds| Self { seconds, unit })
            .ok_or_else(|| InvalidValue("must be at most ten years".into()))
    }

    /// Whole seconds.
    pub fn as_seconds(self) -> i64 {
        self.seconds
    }

    /// As a chrono duration.
    pub fn duration(self) -> Duration {
        Duration::seconds(self.seconds)
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.seconds == 0
    }
}

impl PartialEq for Span {
    fn eq(&self, other: &Self) -> bool {
        self.seconds == other.seconds
    }
}

impl Eq for Span {}

impl PartialOrd for Span {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Span {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.seconds.cmp(&other.seconds)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit.and_then(|u| Some((u, unit_length(u)?))) {
            Some((unit, length)) => write!(f, "{}{unit}", self.seconds / length),
            None => write!(f, "{}", self.seconds),
        }
    }
}

/// The algorithms one rotation makes a key of, each once, in a fixed order:
/// RSA and Ed25519 together are one signing set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlgorithmSet(Vec<KeyAlgorithm>);

impl AlgorithmSet {
    /// Reads a comma-separated list (`rsa`, `rsa,ed25519`).
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let mut set = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let algorithm: KeyAlgorithm = part.parse()?;
            if !set.contains(&algorithm) {
                set.push(algorithm);
            }
        }
        if set.is_empty() {
            return Err(InvalidValue("must name rsa, ed25519 or both".into()));
        }
        set.sort();
        Ok(Self(set))
    }

    /// The algorithms, RSA first.
    pub fn iter(&self) -> impl Iterator<Item = KeyAlgorithm> + '_ {
        self.0.iter().copied()
    }
}

impl Default for AlgorithmSet {
    /// RSA alone (2048 bits).
    fn default() -> Self {
        Self(vec![KeyAlgorithm::Rsa])
    }
}

impl fmt::Display for AlgorithmSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|a| a.as_str()).collect();
        f.write_str(&names.join(","))
    }
}

/// How a rotation names its keys: selector characters and the date fields
/// `%Y %m %d %H %M %S`, such as `s%Y%m%d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorTemplate(String);

/// The date fields a template may use.
const FIELDS: [char; 6] = ['Y', 'm', 'd', 'H', 'M', 'S'];

/// How many selectors a rotation tries before it gives up: the rendered
/// template, `b` to `z`, then `-2` to `-975`.
const MAX_CANDIDATES: usize = 1000;

/// Room a template leaves for the longest suffix of those (`-975`), so that
/// every candidate is a selector.
const SUFFIX_ROOM: usize = 4;

impl SelectorTemplate {
    /// Reads a template; what it renders must be a selector.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '%' && !chars.next().is_some_and(|f| FIELDS.contains(&f)) {
                return Err(InvalidValue(
                    "may only use the date fields %Y, %m, %d, %H, %M and %S".into(),
                ));
            }
        }
        let template = Self(s.to_owned());
        // Every date field renders at a fixed width, so the epoch's length
        // is every date's.
        let rendered = template.render_plain(DateTime::UNIX_EPOCH);
        Selector::parse(&rendered)
            .map_err(|e| InvalidValue(format!("does not make a selector: it {e}")))?;
        let max = MAX_NAME_LEN - SUFFIX_ROOM;
        if rendered.chars().count() > max {
            return Err(InvalidValue(format!(
                "must make selectors of at most {max} characters, leaving room for a suffix"
            )));
        }
        Ok(template)
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn render_plain(&self, at: DateTime<Utc>) -> String {
        at.format(&self.0).to_string()
    }

    /// The selectors to try at `at`, in order: the rendered template, then
    /// with `b` to `z` appended, then `-2`, `-3`, and so on; a thousand in all.
    pub fn candidates(&self, at: DateTime<Utc>) -> impl Iterator<Item = Selector> {
        let base = self.render_plain(at);
        let letters = ('b'..='z').map(move |c| c.to_string());
        let numbers = (2..).map(|n: u32| format!("-{n}"));
        std::iter::once(String::new())
            .chain(letters)
            .chain(numbers)
            .take(MAX_CANDIDATES)
            .filter_map(move |suffix| Selector::parse(&format!("{base}{suffix}")).ok())
    }
}

impl Default for SelectorTemplate {
    /// Dated: `s%Y%m%d`, such as `s20261129`.
    fn default() -> Self {
        Self("s%Y%m%d".to_owned())
    }
}

/// An authority's rotation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationPolicy {
    /// Whether a pending key is made automatically once the active key is
    /// `interval` old.
    pub enabled: bool,
    /// The active key's age at which a rotation starts; `None` until set.
    pub interval: Option<Span>,
    /// How long a replaced key keeps its record published (default 7 days).
    pub retire_after: Span,
    /// How long a retired key is kept before it is deleted; zero keeps it
    /// (default 30 days).
    pub delete_after: Span,
    /// The algorithms each rotation makes a key of.
    pub algorithms: AlgorithmSet,
    /// How the new keys' selectors are made.
    pub selector_template: SelectorTemplate,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            enabled: false,
            interval: None,
            retire_after: Span::days(7),
            delete_after: Span::days(30),
            algorithms: AlgorithmSet::default(),
            selector_template: SelectorTemplate::default(),
        }
    }
}

impl RotationPolicy {
    /// The interval automatic rotation uses when enabled without one.
    pub const DEFAULT_INTERVAL: Span = Span {
        seconds: 30 * 86_400,
        unit: Some('d'),
    };
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn spans_read_with_a_unit_print_as_they_were_written() {
        assert_eq!(Span::parse("5d").unwrap().as_seconds(), 432_000);
        for written in ["24h", "1d", "30d", "720h", "90", "2M", "0"] {
            assert_eq!(Span::parse(written).unwrap().to_string(), written);
        }
        assert_eq!(Span::parse(" 024h ").unwrap().to_string(), "24h");
    }

    #[test]
    fn spans_made_by_signet_print_in_the_largest_unit_that_fits() {
        assert_eq!(Span::seconds(86_400).to_string(), "1d");
        assert_eq!(Span::seconds(90).to_string(), "90s");
        assert_eq!(Span::seconds(0).to_string(), "0s");
    }

    #[test]
    fn spans_of_the_same_length_are_equal_however_written() {
        assert_eq!(Span::parse("24h").unwrap(), Span::parse("1d").unwrap());
        assert!(Span::parse("23h").unwrap() < Span::parse("1d").unwrap());
    }

    #[test]
    fn a_span_without_digits_or_with_an_unknown_unit_is_rejected() {
        for bad in ["", "d", "5w", "-5d", "1.5h", "5 d"] {
            assert!(Span::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_algorithm_set_is_deduplicated_and_ordered() {
        let set = AlgorithmSet::parse("ed25519, rsa,ed25519").unwrap();
        assert_eq!(set.to_string(), "rsa,ed25519");
        assert!(AlgorithmSet::parse(" , ").is_err());
        assert!(AlgorithmSet::parse("rsa,dsa").is_err());
    }

    #[test]
    fn the_default_template_is_dated_and_made_unique_with_suffixes() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        let first: Vec<String> = SelectorTemplate::default()
            .candidates(at)
            .take(3)
            .map(|s| s.as_str().to_owned())
            .collect();
        assert_eq!(first, ["s20261129", "s20261129b", "s20261129c"]);
        let late = SelectorTemplate::default().candidates(at).nth(26).unwrap();
        assert_eq!(late.as_str(), "s20261129-2");
    }

    #[test]
    fn a_template_with_an_unknown_field_or_no_selector_is_rejected() {
        assert!(SelectorTemplate::parse("s%j").is_err());
        assert!(SelectorTemplate::parse("a b%Y").is_err());
        assert!(SelectorTemplate::parse("k%Y-%m").is_ok());
    }

    #[test]
    fn a_template_too_long_for_a_suffix_is_rejected() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        assert!(SelectorTemplate::parse(&"a".repeat(MAX_NAME_LEN)).is_err());
        assert!(SelectorTemplate::parse(&format!("{}%Y", "a".repeat(193))).is_err());
        let longest = SelectorTemplate::parse(&format!("{}%Y", "a".repeat(192))).unwrap();
        assert_eq!(longest.candidates(at).count(), MAX_CANDIDATES);
    }

    #[test]
    fn the_candidates_end_after_a_thousand() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        let last = SelectorTemplate::default().candidates(at).last().unwrap();
        assert_eq!(last.as_str(), "s20261129-975");
    }
}
