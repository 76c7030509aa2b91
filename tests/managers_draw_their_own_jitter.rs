//! Eight managers built the ordinary way (default policy, no seed) start
//! together against one emulator: each draws its own jitter, so their
//! refreshes spread over the jitter window instead of landing at one
//! instant.
//!
//! Oracle: the emulator's request log. The refresh point counts from when
//! the login left, so with one seed the refreshes are exactly as spread as
//! the logins; with a seed each, they spread over the window (5 % of the
//! 12 s lifetime, 600 ms). The figure checked (100 ms more than the logins'
//! spread) leaves room for a loaded machine; eight draws all within a sixth
//! of the window happen about once in 30,000 runs.

mod common;

use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, WORKSPACE, mock_config};
use revault_auth::tokio::{ReqwestTransport, TokenManager};
use revault_auth::{ApiKeySecret, Config};
use revault_auth_mock::{Endpoint, MockServer};

const MANAGERS: usize = 8;
const LIFETIME: Duration = Duration::from_secs(12);

fn spread(times: &[Instant]) -> Duration {
    let first = times.iter().min().expect("requests");
    let last = times.iter().max().expect("requests");
    last.duration_since(*first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managers_draw_their_own_jitter() {
    let server = MockServer::start_background(mock_config(LIFETIME, Duration::from_secs(600)))
        .expect("emulator");
    let managers: Vec<_> = (0..MANAGERS)
        .map(|_| {
            let config = Config::builder(
                server.base_url(),
                WORKSPACE,
                KEY_ID,
                ApiKeySecret::new(SECRET),
            )
            .build()
            .expect("config");
            let transport = ReqwestTransport::new().expect("client");
            TokenManager::builder(config, transport)
                .build()
                .expect("manager")
        })
        .collect();
    let asked: Vec<_> = managers
        .iter()
        .map(|manager| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.token().await.map(drop) })
        })
        .collect();
    for asked in asked {
        asked.await.expect("task").expect("every manager logged in");
    }

    // Past the refresh window (75-80 % of the lifetime) with room to spare.
    let until = Instant::now() + LIFETIME.mul_f64(0.8) + Duration::from_secs(2);
    while server.refresh_requests() < MANAGERS && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = server.log();
    let at = |endpoint: Endpoint| -> Vec<Instant> {
        log.iter()
            .filter(|logged| logged.endpoint == endpoint)
            .map(|logged| logged.at)
            .collect()
    };
    let (logins, refreshes) = (at(Endpoint::Token), at(Endpoint::Refresh));
    assert_eq!(logins.len(), MANAGERS, "one login each");
    assert_eq!(refreshes.len(), MANAGERS, "one refresh each");
    let (login_spread, refresh_spread) = (spread(&logins), spread(&refreshes));
    assert!(
        refresh_spread >= login_spread + Duration::from_millis(100),
        "refreshes spread over {refresh_spread:?}, logins over {login_spread:?}: one jitter for all"
    );
    for manager in managers {
        manager.shutdown().await;
    }
}
