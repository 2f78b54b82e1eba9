//! The shared-state adapters against a real Redis (`SIGNET_TEST_REDIS_URL`),
//! private `redis-server` processes (outages), and in-process.

mod capture;
mod local;
mod on_redis;
mod outage;
mod overhead;
mod support;
