//! `signet-agent` as a signer host runs it, against a small feed server on
//! loopback: symbolic links under its targets, the feed's size cap, TLS.

mod feed_cap;
mod support;
mod symlinks;
mod tls;
