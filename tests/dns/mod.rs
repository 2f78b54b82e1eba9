//! dns tests.
