//! mailgun tests.
