//! Property tests: generated scripts of time ticks, clock jumps and
//! suspends, answers of every class, invalidations and API-key rotations,
//! run through the harness. After every step `run_script` checks, against
//! the harness's and the server's own records, that no expired token is
//! served at any wake-up, that requests never overlap, that no refresh token
//! is sent twice, that every deadline is acted on, that failures only follow
//! a refusal the server sent, and that no request beats a `Retry-After`, the
//! backoff floor or the slow schedule; at the end, once the scripted faults
//! are used up, a valid token must come back.

mod common;

use proptest::prelude::*;
use proptest::sample::select;
use revault_auth_core::TransportErrorKind;
use revault_auth_core::testing::{Reply, Step, run_script};

fn reply() -> impl Strategy<Value = Reply> {
    let lifetime = prop_oneof![
        Just(-1.0),
        Just(0.0),
        Just(f64::NAN),
        Just(1e12),
        0.5f64..600.0,
    ];
    let retry_after = proptest::option::of(prop_oneof![
        "[0-9]{1,3}",
        Just("soon".to_owned()),
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
    ]);
    prop_oneof![
        3 => Just(Reply::Normal),
        2 => (lifetime, 1.0f64..3000.0).prop_map(|(a, r)| Reply::Lifetimes(a, r)),
        3 => select(vec![100u16, 204, 301, 307, 400, 401, 403, 404, 408, 500, 502, 503, 504])
            .prop_map(Reply::Status),
        2 => (select(vec![420u16, 429, 503]), retry_after)
            .prop_map(|(status, after)| Reply::RateLimited(status, after)),
        2 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(|body| Reply::Raw(200, body)),
        1 => Just(Reply::Drop),
        1 => select(vec![
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Io,
            TransportErrorKind::BodyTooLarge,
            TransportErrorKind::Other,
        ])
        .prop_map(Reply::Transport),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (any::<u16>(), 0u8..2).prop_map(|(millis, scale)| Step::Advance { millis, scale }),
        1 => (0u16..7200).prop_map(|seconds| Step::Jump { seconds }),
        1 => (0u16..7200).prop_map(|seconds| Step::StepBack { seconds }),
        1 => (0u16..7200).prop_map(|seconds| Step::Suspend { seconds }),
        5 => reply().prop_map(Step::Script),
        1 => any::<u8>().prop_map(|times| Step::RejectCurrent { times }),
        1 => any::<u8>().prop_map(|behind| Step::RejectStale { behind }),
        1 => select(vec![200u16, 401, 500]).prop_map(|status| Step::UnknownResponse { status }),
        1 => Just(Step::UnknownTransportError(TransportErrorKind::Io)),
        1 => Just(Step::Start),
        1 => Just(Step::UpdateApiKey),
        1 => Just(Step::RotateKey),
        1 => Just(Step::StoreLockUnavailable),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn invariants_hold_for_any_script(
        steps in proptest::collection::vec(step(), 0..40),
        seed in any::<u64>(),
    ) {
        let report = run_script(&steps, common::epoch(), seed);
        prop_assert!(report.is_ok(), "{}", report.err().unwrap_or_default());
    }
}
