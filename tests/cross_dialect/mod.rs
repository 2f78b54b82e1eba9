//! One core, two dialects: what is done through Mailgun is seen through
//! GreenArrow, and the other way round.

mod audit;
mod dkim_signature;
mod domains;
mod ed25519;
mod keys;
mod weak_keys;
