//! greenarrow tests.
