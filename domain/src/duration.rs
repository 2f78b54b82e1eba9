//! The one duration syntax of every flag, variable, settings-file key and
//! command option: `humantime` (`250ms`, `30s`, `2m`, `1h`, `90d`,
//! `1h 30m`), or a bare number of seconds.

use std::time::Duration;

/// Parses `250ms`, `30s`, `2m`, `1h`, `90d`, `1h 30m` or a bare number of
/// seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(seconds) = s.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration such as 250ms, 30s, 2m, 1h or 90d ({e})"))
}

/// A duration of at least a millisecond: a zero timeout would fail every
/// call or close every connection.
pub fn positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d >= Duration::from_millis(1) => Ok(d),
        _ => Err(format!("`{s}` must be at least 1ms")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration(" 30 "), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn days_are_durations_too() {
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(2 * 86_400)));
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
    }

    #[test]
    fn words_and_empty_strings_are_not_durations() {
        for bad in ["fast", "", "-1", "1x"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("is not a duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_positive_duration_is_at_least_a_millisecond() {
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
        for zero in ["0", "0s", "0ms", "10us"] {
            assert!(positive_duration(zero).is_err(), "{zero}");
        }
    }
}
