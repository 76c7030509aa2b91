//! The event hook runs with no lock held: it may call back into the
//! manager (read the token, report it, ask for another) without a
//! deadlock, and what it asked for reaches the emulator.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use common::{auth_requests, config, server};
use revault_auth_ureq::{BlockingTokenManager, Event};

#[test]
fn the_event_hook_may_call_back_into_the_manager() {
    let server = server(Duration::from_secs(60), Duration::from_secs(600));
    let slot: Arc<OnceLock<BlockingTokenManager>> = Arc::new(OnceLock::new());
    let reported = Arc::new(AtomicBool::new(false));
    let manager = BlockingTokenManager::builder(config(&server))
        .on_event({
            let (slot, reported) = (Arc::clone(&slot), Arc::clone(&reported));
            move |event| {
                let Some(manager) = slot.get() else { return };
                if let Event::Authenticated { .. } = event {
                    let token = manager
                        .token()
                        .expect("the new token, from inside the hook");
                    // Once: report it from inside the hook.
                    if !reported.swap(true, Ordering::SeqCst) {
                        assert!(manager.invalidate(&token));
                    }
                }
            }
        })
        .build();
    assert!(slot.set(manager.clone()).is_ok());

    let (done, finished) = std::sync::mpsc::channel();
    let caller = manager.clone();
    std::thread::spawn(move || done.send(caller.token_owned()));
    let token = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("no deadlock")
        .expect("token");
    assert!(reported.load(Ordering::SeqCst));
    assert_eq!(
        token.generation().get(),
        2,
        "the token reported in the hook was replaced"
    );
    assert_eq!(auth_requests(&server), 2);
}
