//! A real DNS server on loopback (placeholder: the DNS helper replaces this file).

/// A DNS server on loopback whose TXT records tests set.
pub struct TestDns;
