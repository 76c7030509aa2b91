//! Behaviour 1: the first demand (or an eager start) sends exactly one
//! `POST /auth/token` with exactly the spec's body; an idle core sends nothing.

mod common;

use std::time::Duration;

use common::{KEY_ID, SECRET, WORKSPACE, builder, config, epoch};
use revault_auth_core::{AuthCore, Phase, Purpose};

#[test]
fn first_demand_sends_one_authenticate_with_the_spec_body() {
    let now = epoch();
    let mut core = AuthCore::new(config(), now);
    assert_eq!(core.phase(), Phase::Idle);
    assert!(core.poll_transmit(now).is_none(), "nothing before demand");

    core.start(now);
    let transmit = core.poll_transmit(now).expect("one request");
    assert_eq!(transmit.purpose, Purpose::Authenticate);
    assert!(core.poll_transmit(now).is_none(), "exactly one request");

    let request = transmit.into_request();
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(
        request.uri().to_string(),
        "https://revault.test/v1/rest/auth/token"
    );
    assert_eq!(request.headers()["content-type"], "application/json");
    assert!(request.headers().get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(request.body()).expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({ "workspace": WORKSPACE, "apiKeyId": KEY_ID, "apiKeySecret": SECRET })
    );
}

#[test]
fn eager_start_authenticates_without_demand() {
    let now = epoch();
    let mut core = AuthCore::new(builder().eager(true).build().expect("valid"), now);
    let transmit = core.poll_transmit(now).expect("eager request");
    assert_eq!(transmit.purpose, Purpose::Authenticate);
}

#[test]
fn idle_core_never_sends_or_wakes() {
    let now = epoch();
    let mut core = AuthCore::new(config(), now);
    core.handle_timeout(now + Duration::from_secs(3600));
    assert!(
        core.poll_transmit(now + Duration::from_secs(3600))
            .is_none()
    );
    assert_eq!(core.poll_timeout(), None);
    assert!(core.poll_event().is_none());
}
