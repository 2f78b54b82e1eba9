//! One core, two dialects: what is done through Mailgun is seen through
//! GreenArrow, and the other way round.

mod audit;
mod domains;
mod keys;
mod weak_keys;
