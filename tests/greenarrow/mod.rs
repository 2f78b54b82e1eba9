//! The GreenArrow Engine dialect over HTTP: the page's examples, every
//! validation rule, the envelope on every rejection, private-key policy,
//! tenant isolation and pagination on both databases.

mod envelope;
mod examples;
mod keys;
mod openapi;
mod pagination;
mod privacy;
mod validation;
