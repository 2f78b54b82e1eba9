//! Storage tests: each runs on SQLite, and on PostgreSQL when
//! `SIGNET_TEST_POSTGRES_URL` is set, in a database of its own.

mod at_rest;
mod audit;
mod canary;
mod concurrency;
mod connect;
mod defaults;
mod domains;
mod due;
mod fleets;
mod keys;
mod listing;
mod publishers;
mod read_model;
mod rotation;
mod support;
mod tenants;
mod zone;
