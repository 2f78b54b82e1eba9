//! What an error message may repeat of a request. A message that quotes the
//! field name, path or value it is about helps the caller, but whatever it
//! quotes is written back to the client and into logs, and a client that put
//! its private key in the wrong place must not get it echoed. So every quote
//! of client input goes through [`excerpt`], and every message a parser wrote
//! around client input (serde, multipart, path) through [`scrub`].

/// The most characters of one piece of client input a message repeats.
pub const MAX_EXCERPT_CHARS: usize = 40;

/// The most characters of a parser's own words kept between two quotes.
/// They are short templates; a long run can only come from crafted input.
const MAX_UNQUOTED_CHARS: usize = 160;

/// What stands in for anything that looks like key material.
pub const REDACTED: &str = "<redacted>";

/// Marks a cut: the input went on.
const ELLIPSIS: char = '…';

/// A run of base64 at least this long that mixes letters and digits is taken
/// for key material: names and numbers are never like that, PEM lines are
/// (in any case: a header's value may come back lower-cased).
const MIN_BASE64_RUN: usize = 24;

/// `input` as a message may quote it: [`REDACTED`] if it looks like key
/// material, otherwise without control characters and cut to
/// [`MAX_EXCERPT_CHARS`] characters (a cut ends in `…`).
pub fn excerpt(input: &str) -> String {
    if looks_like_key_material(input) {
        return REDACTED.to_owned();
    }
    truncate(input, MAX_EXCERPT_CHARS)
}

/// A parser's message with the client input it quotes (between backticks or
/// double quotes) replaced by [`excerpt`]s. Its own words stay, unless they
/// hold key material after all (input with a stray quote can end up outside
/// the quotes): then they are [`REDACTED`] too.
pub fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(512));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        out.push_str(&unquoted(&rest[..open]));
        let quote = rest[open..].chars().next().unwrap_or('"');
        let inside = &rest[open + 1..];
        let close = closing_quote(inside, quote);
        out.push(quote);
        out.push_str(&excerpt(&inside[..close.unwrap_or(inside.len())]));
        match close {
            Some(close) => {
                out.push(quote);
                rest = &inside[close + 1..];
            }
            None => rest = "",
        }
    }
    out.push_str(&unquoted(rest));
    out
}

/// The byte offset of the quote that closes a quote opened just before
/// `inside`. Double-quoted text (Rust's `Debug`) escapes with backslashes.
fn closing_quote(inside: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in inside.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote == '"' => escaped = true,
            c if c == quote => return Some(i),
            _ => {}
        }
    }
    None
}

/// A parser's own words: from the first to the last piece of key material
/// (pieces are separated by white space) becomes one [`REDACTED`], and the
/// words around it stay, each cut to [`MAX_EXCERPT_CHARS`] (a parser's words
/// are short: a long one is input it repeated without quotes).
fn unquoted(text: &str) -> String {
    let offset = |piece: &str| piece.as_ptr() as usize - text.as_ptr() as usize;
    let mut key = text
        .split_whitespace()
        .filter(|piece| looks_like_key_material(piece));
    let kept = match key.next() {
        None => text.to_owned(),
        Some(first) => {
            let last = key.next_back().unwrap_or(first);
            let end = offset(last) + last.len();
            format!("{}{REDACTED}{}", &text[..offset(first)], &text[end..])
        }
    };
    let words: String = kept
        .split_inclusive(char::is_whitespace)
        .map(|word| {
            let bare = word.trim_end();
            truncate(bare, MAX_EXCERPT_CHARS) + &word[bare.len()..]
        })
        .collect();
    truncate(&words, MAX_UNQUOTED_CHARS)
}

/// Drops control characters and keeps at most `max` characters.
fn truncate(input: &str, max: usize) -> String {
    let mut chars = input.chars().filter(|c| !c.is_control());
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.next().is_some() {
        out.push(ELLIPSIS);
    }
    out
}

/// Part of a PEM armour line, a token Signet issues (an `sgn_` API key or
/// an `sgf_` fleet token: their random part may be cut by `_` and `-` into
/// runs too short to look like base64), or a long run of base64
/// (percent-encoded or backslash-escaped as it may be in a URL or a `Debug`
/// quote).
fn looks_like_key_material(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    if ["-----", "PRIVATE KEY", "PRIVATE%20KEY", "SGN_", "SGF_"]
        .iter()
        .any(|marker| upper.contains(marker))
    {
        return true;
    }
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=%\\".contains(c)))
        .any(is_base64_like)
}

fn is_base64_like(run: &str) -> bool {
    run.len() >= MIN_BASE64_RUN
        && run.bytes().any(|b| b.is_ascii_alphabetic())
        && run.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM_LINE: &str = "MIICXAIBAAKBgQC7kV0aW1vb3v9Jx2c5GqzDq9l3M4mYtWq0pR2sY+8uK1fA7bNc";

    #[test]
    fn short_plain_input_is_quoted_as_it_is() {
        assert_eq!(excerpt("example.com"), "example.com");
        assert_eq!(excerpt("/ga/api/v3/eng/nope"), "/ga/api/v3/eng/nope");
        assert_eq!(excerpt("colour"), "colour");
    }

    #[test]
    fn long_input_is_cut_to_forty_characters_and_marked() {
        let cut = excerpt(&"a".repeat(100));
        assert_eq!(cut, format!("{}…", "a".repeat(MAX_EXCERPT_CHARS)));
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(excerpt("a\nb\r\u{7}c\u{1b}[31m"), "abc[31m");
    }

    #[test]
    fn a_pem_armour_line_is_redacted_however_it_is_written() {
        for input in [
            "-----BEGIN RSA PRIVATE KEY-----",
            "x-----end private key-----",
            "/eng/-----BEGIN%20RSA%20PRIVATE%20KEY-----",
            "BEGIN PRIVATE KEY",
        ] {
            assert_eq!(excerpt(input), REDACTED, "{input}");
        }
    }

    #[test]
    fn a_line_of_base64_is_redacted_even_without_armour() {
        assert_eq!(excerpt(PEM_LINE), REDACTED);
        assert_eq!(excerpt(&format!("\\n{PEM_LINE}")), REDACTED);
        assert_eq!(excerpt(&PEM_LINE.replace('+', "%2B")), REDACTED);
        assert_eq!(excerpt(&PEM_LINE.to_ascii_lowercase()), REDACTED);
    }

    #[test]
    fn a_long_word_outside_quotes_is_cut_like_an_excerpt() {
        let message = format!("failed: {}: unknown field", "x".repeat(500));
        assert_eq!(
            scrub(&message),
            format!("failed: {}… unknown field", "x".repeat(MAX_EXCERPT_CHARS))
        );
    }

    #[test]
    fn an_api_key_or_a_fleet_token_is_redacted_however_short_its_runs() {
        for input in [
            "sgn_kry_wTmWJmyce-XwjLb_QlV7eqTr",
            "SGF_ab-cd_ef",
            "x sgn_a",
        ] {
            assert_eq!(excerpt(input), REDACTED, "{input}");
        }
    }

    #[test]
    fn names_and_numbers_are_not_taken_for_key_material() {
        for input in [
            "default_for_domain",
            "1234567890123456789012345678",
            "mail2.example-1.com",
            "/ga/api/v3/eng/dkim_keys/12/extra",
        ] {
            assert_ne!(excerpt(input), REDACTED, "{input}");
        }
    }

    #[test]
    fn a_parser_message_keeps_its_words_and_excerpts_what_it_quotes() {
        let pem =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINE}\n-----END RSA PRIVATE KEY-----");
        let message = format!("dkim_key: unknown field `{pem}`, expected one of `domain`, `key`");
        assert_eq!(
            scrub(&message),
            "dkim_key: unknown field `<redacted>`, expected one of `domain`, `key`"
        );
        let message = format!("invalid type: string {pem:?}, expected i64");
        assert_eq!(
            scrub(&message),
            "invalid type: string \"<redacted>\", expected i64"
        );
        assert_eq!(
            scrub("invalid type: floating point `1024.5`, expected i64"),
            "invalid type: floating point `1024.5`, expected i64"
        );
    }

    #[test]
    fn a_key_in_a_parsers_own_words_is_cut_out_and_the_words_around_it_stay() {
        let pem =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{PEM_LINE}\n-----END RSA PRIVATE KEY-----\n");
        let message = format!("target type: dkim_key.{pem}: unknown field `{pem}`, expected `key`");
        assert_eq!(
            scrub(&message),
            "target type: <redacted>: unknown field `<redacted>`, expected `key`"
        );
    }

    #[test]
    fn escaped_quotes_do_not_end_a_double_quoted_value() {
        let message = format!(r#"string "a\"{PEM_LINE}", expected"#);
        assert_eq!(scrub(&message), r#"string "<redacted>", expected"#);
    }

    #[test]
    fn key_material_smuggled_outside_the_quotes_is_redacted_too() {
        let message = format!("unknown field `x` {PEM_LINE} `y`, expected `a`");
        assert_eq!(
            scrub(&message),
            "unknown field `x` <redacted> `y`, expected `a`"
        );
        let unclosed = format!("unknown field `{PEM_LINE}");
        assert_eq!(scrub(&unclosed), "unknown field `<redacted>");
    }
}
