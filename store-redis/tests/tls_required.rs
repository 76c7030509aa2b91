//! A store off this host is reached over TLS or not at all: the store
//! holds live refresh tokens. The refusal names the URL, not its password.

use revault_auth_store_redis::{ConfigError, RedisStore};

const SECRET: &str = "zz-secret-9c41";

#[test]
fn plain_redis_to_another_host_is_refused() {
    for url in [
        format!("redis://svc:{SECRET}@10.0.0.7:6379/0"),
        format!("redis://:{SECRET}@redis.internal"),
        format!("REDIS://:{SECRET}@[2001:db8::1]:6379"),
    ] {
        match RedisStore::connect(&url) {
            Err(error @ ConfigError::TlsRequired { .. }) => {
                assert!(!error.to_string().contains(SECRET), "{error}");
                assert!(!format!("{error:?}").contains(SECRET), "{error:?}");
                assert!(error.to_string().contains("rediss://"), "{error}");
            }
            other => panic!("{url}: {other:?}"),
        }
    }
}

#[test]
fn tls_to_another_host_and_plain_to_loopback_are_accepted() {
    for url in [
        format!("rediss://svc:{SECRET}@redis.internal:6380/0"),
        format!("redis://:{SECRET}@127.0.0.1:6379"),
        format!("redis://:{SECRET}@localhost"),
        format!("redis://:{SECRET}@[::1]:6379"),
    ] {
        let store = RedisStore::connect(&url).unwrap_or_else(|error| panic!("{url}: {error}"));
        assert!(!format!("{store:?}").contains(SECRET));
    }
}

#[test]
fn turning_certificate_checks_off_is_refused() {
    match RedisStore::connect(&format!("rediss://:{SECRET}@redis.internal/#insecure")) {
        Err(error @ ConfigError::InvalidUrl { .. }) => {
            assert!(!format!("{error} {error:?}").contains(SECRET));
        }
        other => panic!("{other:?}"),
    }
}
