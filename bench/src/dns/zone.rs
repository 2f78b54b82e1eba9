//! The benchmark's zone: N DKIM-sized TXT records, one per domain, the
//! shape Signet serves (`<selector>._domainkey.<label>.<zone>`), and the
//! query file that asks for each of them.

use std::path::Path;

use signet_testkit::ZoneFile;

/// Bytes of base64 in each record's `p=`: a 2048-bit RSA key's.
const KEY_CHARS: usize = 392;

/// The name of record `i`, relative to the zone.
fn name(i: usize) -> String {
    format!("s1._domainkey.d{i}")
}

/// A zone `origin` of `records` TXT records, each of a 2048-bit key's size
/// (two character-strings), distinct from one another.
pub fn txt_zone(origin: &str, records: usize) -> ZoneFile {
    let mut zone = ZoneFile::new(origin);
    for i in 0..records {
        zone = zone.txt(&name(i), &record(i));
    }
    zone
}

/// Writes a dnsperf query file asking for the TXT of every record of
/// [`txt_zone`]`(origin, records)` (see [`write_names`]).
pub fn write_queries(path: &Path, origin: &str, records: usize) -> std::io::Result<()> {
    let origin = origin.trim_end_matches('.');
    let names: Vec<String> = (0..records)
        .map(|i| format!("{}.{origin}", name(i)))
        .collect();
    write_names(path, &names)
}

/// Writes a dnsperf query file asking for the TXT of each of `names`, in
/// an order that jumps about them (a stride coprime with the count), so
/// the answers are not served from one warm corner of memory.
pub fn write_names(path: &Path, names: &[String]) -> std::io::Result<()> {
    let stride = coprime_stride(names.len());
    let mut text = String::with_capacity(names.len() * 64);
    for k in 0..names.len() {
        let i = (k * stride) % names.len();
        text.push_str(&format!("{} TXT\n", names[i]));
    }
    std::fs::write(path, text)
}

/// Record `i`'s value: `v=DKIM1; k=rsa; p=` and base64-looking characters
/// that differ from one record to the next.
fn record(i: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let key: String = (0..KEY_CHARS)
        .map(|_| {
            // xorshift64: cheap, deterministic, good enough to look random.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[(state % 64) as usize])
        })
        .collect();
    format!("v=DKIM1; k=rsa; p={key}")
}

/// A stride about 0.618 of `n` that shares no factor with it, so stepping
/// by it visits every index once.
fn coprime_stride(n: usize) -> usize {
    if n < 3 {
        return 1;
    }
    let mut stride = n * 618 / 1000;
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    stride
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_file_asks_for_every_record_once() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("queries");
        write_queries(&path, "bench.test.", 1000).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        let mut lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1000);
        assert_eq!(lines[0], "s1._domainkey.d0.bench.test TXT");
        lines.sort_unstable();
        lines.dedup();
        assert_eq!(lines.len(), 1000, "no name asked twice");
    }

    #[test]
    fn records_differ_and_need_two_strings() {
        assert_ne!(record(1), record(2));
        assert!(record(7).len() > 255 && record(7).len() <= 510);
        let zone = txt_zone("bench.test.", 3).render();
        assert_eq!(zone.matches(" TXT ").count(), 3);
    }
}
