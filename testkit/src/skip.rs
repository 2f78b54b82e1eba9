//! Saying that a test skipped, where `cargo test` shows it.

use std::io::Write as _;

/// Writes `SKIPPED <test>: <reason>` to the process's real stderr. libtest
/// captures only `print!`/`eprint!` output (and shows it only for failures),
/// so a skip reported with `eprintln!` would pass as a silent `ok`; a write
/// through `std::io::stderr()` goes to the file descriptor and is always
/// shown. The test's name is its thread's, which libtest sets.
pub fn skip(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
