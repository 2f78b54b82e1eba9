//! Zone files in RFC 1035 master format, for the DNS software tests start.

/// A zone's contents: an SOA and NS (`ns1.<zone>` at 127.0.0.1) made for
/// it, then the records a test adds.
#[derive(Debug, Clone)]
pub struct ZoneFile {
    origin: String,
    serial: u32,
    lines: Vec<String>,
}

impl ZoneFile {
    /// An empty zone `origin` (with or without the final dot), serial 1.
    pub fn new(origin: &str) -> Self {
        Self {
            origin: absolute(origin),
            serial: 1,
            lines: Vec::new(),
        }
    }

    /// The zone's name, with the final dot.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The SOA serial.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// Sets the SOA serial.
    pub fn with_serial(mut self, serial: u32) -> Self {
        self.serial = serial;
        self
    }

    /// Adds a record line as written in a zone file, e.g.
    /// `www 300 IN CNAME target.other.test.` (names relative to the zone).
    pub fn record(mut self, line: &str) -> Self {
        self.lines.push(line.to_owned());
        self
    }

    /// Adds a TXT record at `name` (relative, or absolute with a final dot),
    /// its value cut into quoted strings of at most 255 bytes.
    pub fn txt(self, name: &str, value: &str) -> Self {
        let line = format!("{name} 300 IN TXT {}", quoted_strings(value));
        self.record(&line)
    }

    /// The zone file's text. The SOA's refresh is an hour, so a secondary
    /// that has the zone asks again only when NOTIFYed; its negative TTL is
    /// one second.
    pub fn render(&self) -> String {
        let mut text = format!(
            "$ORIGIN {origin}\n$TTL 300\n\
             @ IN SOA ns1.{origin} hostmaster.{origin} {serial} 3600 600 86400 1\n\
             @ IN NS ns1.{origin}\nns1 IN A 127.0.0.1\n",
            origin = self.origin,
            serial = self.serial,
        );
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

/// `name` with a final dot.
pub fn absolute(name: &str) -> String {
    format!("{}.", name.trim_end_matches('.'))
}

/// `value` (ASCII) as zone-file character-strings: quoted, at most 255
/// bytes each, quotes and backslashes escaped.
pub fn quoted_strings(value: &str) -> String {
    assert!(value.is_ascii(), "TXT values in tests are ASCII");
    value
        .as_bytes()
        .chunks(255)
        .map(|chunk| {
            let text = String::from_utf8_lossy(chunk);
            format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
        })
        .collect::<Vec<_>>()
        .join(" ")
}
