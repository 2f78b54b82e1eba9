//! The signet binary's library: configuration, auth, composition root.
//! (placeholder: the api helper replaces this file)

pub mod dns;
