//! A private `redis-server` per test: the store crate's test server.

#[allow(unused_imports)]
pub use revault_auth_store_redis::testing::{PASSWORD as REDIS_PASSWORD, RedisServer, free_port};
