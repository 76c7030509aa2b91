//! Every policy bound, at its edge: the last value accepted and the first
//! refused, so a configuration that cannot work fails before any traffic.

mod common;

use std::time::Duration;

use common::{API_URL, KEY_ID, WORKSPACE, builder};
use revault_auth_core::{ConfigError, DEFAULT_MAX_BODY, Policy};

fn accepted(change: impl FnOnce(&mut Policy)) -> bool {
    match builder().tune(change).build() {
        Ok(_) => true,
        Err(ConfigError::InvalidPolicy(_)) => false,
        Err(other) => panic!("not a policy error: {other}"),
    }
}

const DAY: Duration = Duration::from_secs(24 * 3600);
const NS: Duration = Duration::from_nanos(1);

#[test]
fn fractions_stay_inside_zero_and_one() {
    assert!(accepted(|p| p.refresh_at = 0.5));
    for bad in [0.0, -0.5, f64::NAN, f64::INFINITY] {
        assert!(!accepted(|p| p.refresh_at = bad), "refresh_at {bad}");
        assert!(!accepted(|p| p.safety_floor_fraction = bad), "floor {bad}");
    }
    assert!(accepted(|p| p.jitter = 0.0));
    assert!(!accepted(|p| p.jitter = -0.01));
    assert!(!accepted(|p| p.jitter = f64::NAN));
    assert!(accepted(|p| {
        p.refresh_at = 0.5;
        p.jitter = 0.49;
    }));
    assert!(!accepted(|p| {
        p.refresh_at = 0.5;
        p.jitter = 0.5;
    }));
    // The refresh point must come before the floor.
    assert!(accepted(|p| {
        p.refresh_at = 0.8;
        p.safety_floor_fraction = 0.19;
    }));
    assert!(!accepted(|p| {
        p.refresh_at = 0.8;
        p.safety_floor_fraction = 0.2;
    }));
}

#[test]
fn a_fraction_of_one_is_refused_as_out_of_range() {
    let error = |change: fn(&mut Policy)| builder().tune(change).build().err();
    assert_eq!(
        error(|p| p.refresh_at = 1.0),
        Some(ConfigError::InvalidPolicy("refresh_at must be in (0, 1)"))
    );
    assert_eq!(
        error(|p| p.safety_floor_fraction = 1.0),
        Some(ConfigError::InvalidPolicy(
            "safety_floor_fraction must be in (0, 1)"
        ))
    );
}

#[test]
fn durations_stay_inside_their_bounds() {
    assert!(!accepted(|p| p.request_timeout = Duration::ZERO));
    assert!(accepted(|p| p.request_timeout = NS));
    assert!(accepted(|p| p.request_timeout = Duration::from_secs(3600)));
    assert!(!accepted(
        |p| p.request_timeout = Duration::from_secs(3600) + NS
    ));

    assert!(!accepted(|p| p.backoff_base = Duration::ZERO));
    assert!(accepted(|p| p.backoff_base = p.backoff_cap));
    assert!(!accepted(|p| p.backoff_base = p.backoff_cap + NS));
    assert!(accepted(|p| p.backoff_cap = DAY));
    assert!(!accepted(|p| p.backoff_cap = DAY + NS));

    assert!(accepted(|p| p.retry_after_cap = p.backoff_base));
    assert!(!accepted(|p| p.retry_after_cap = p.backoff_base - NS));
    assert!(accepted(|p| p.retry_after_cap = DAY));
    assert!(!accepted(|p| p.retry_after_cap = DAY + NS));

    assert!(!accepted(|p| p.refused_retry_base = Duration::ZERO));
    assert!(accepted(|p| p.refused_retry_base = p.refused_retry_cap));
    assert!(!accepted(
        |p| p.refused_retry_base = p.refused_retry_cap + NS
    ));
    assert!(accepted(|p| p.refused_retry_cap = DAY));
    assert!(!accepted(|p| p.refused_retry_cap = DAY + NS));

    assert!(!accepted(|p| p.min_lifetime = Duration::ZERO));
    assert!(!accepted(|p| p.min_lifetime = p.max_lifetime));
    assert!(accepted(|p| p.min_lifetime = p.max_lifetime - NS));
    assert!(accepted(|p| p.max_lifetime = 366 * DAY));
    assert!(!accepted(|p| p.max_lifetime = 366 * DAY + NS));
}

#[test]
fn bodies_of_at_least_one_kib() {
    assert_eq!(DEFAULT_MAX_BODY, 64 * 1024);
    assert!(accepted(|p| p.max_body = 1024));
    assert!(!accepted(|p| p.max_body = 1023));
}

#[test]
fn the_configuration_reports_what_it_was_built_with() {
    let config = builder()
        .tune(|p| p.seed = Some(99))
        .build()
        .expect("valid");
    assert_eq!(config.policy().seed, Some(99));
    assert_eq!(config.workspace(), WORKSPACE);
    assert_eq!(config.api_key_id(), KEY_ID);
    assert_eq!(
        config.token_uri().to_string(),
        format!("{API_URL}/auth/token")
    );
    let shown = format!("{config:?}");
    assert!(
        shown.contains(WORKSPACE) && shown.contains(KEY_ID),
        "{shown}"
    );
    assert!(!shown.contains(common::SECRET), "{shown}");
}
