//! The Mailgun dialect over HTTP: every endpoint in each content type, every
//! error path, tenant isolation, paging, and Mailgun's own Python SDK.

mod dkim_settings;
mod domain_keys;
mod domains;
mod errors;
mod isolation;
mod keys;
mod node_sdk;
mod openapi;
mod paging;
mod sdk;
mod sender_security;
mod zone;
