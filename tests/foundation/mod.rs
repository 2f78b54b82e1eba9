//! foundation tests.
