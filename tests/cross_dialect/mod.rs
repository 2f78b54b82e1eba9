//! cross_dialect tests.
