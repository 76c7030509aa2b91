//! The blocking manager's event hook runs as a token is announced, with no
//! lock held: it may call back into the manager (read the token, report it,
//! ask for another) without a deadlock, and it finds each announced token
//! already in the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use revault_auth_core::{ApiKeySecret, Config};
use revault_auth_mock::{MockConfig, MockServer};
use revault_auth_ureq::{BlockingTokenManager, Event, FileStore, SessionKey, TokenStore};

fn emulator() -> (MockServer, Config) {
    let server = MockServer::start_background(MockConfig::default()).expect("emulator");
    let mock = server.config().clone();
    let secret = ApiKeySecret::new(mock.api_key_secret);
    let config = Config::builder(server.base_url(), mock.workspace, mock.api_key_id, secret);
    (server, config.build().expect("config"))
}

#[test]
fn the_event_hook_may_call_back_into_the_manager() {
    let (server, config) = emulator();
    let slot: Arc<OnceLock<BlockingTokenManager>> = Arc::new(OnceLock::new());
    let reported = Arc::new(AtomicBool::new(false));
    let manager = BlockingTokenManager::builder(config)
        .on_event({
            let (slot, reported) = (Arc::clone(&slot), Arc::clone(&reported));
            move |event| {
                let Some(manager) = slot.get() else { return };
                if let Event::Authenticated { .. } = event {
                    let token = manager.token().expect("the new token, from the hook");
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
        .recv_timeout(Duration::from_secs(20))
        .expect("no deadlock")
        .expect("token");
    assert!(reported.load(Ordering::SeqCst));
    assert_eq!(
        token.generation().get(),
        2,
        "the token reported in the hook was replaced"
    );
    assert_eq!(server.token_requests() + server.refresh_requests(), 2);
}

#[test]
fn the_event_hook_finds_each_announced_token_in_the_store() {
    let (server, config) = emulator();
    let dir = tempfile::tempdir().expect("a private directory");
    let path = dir.path().join("tokens.json");
    let mock = server.config();
    let key = SessionKey::new(server.base_url(), &mock.workspace, &mock.api_key_id);
    // What the store held each time a token was announced.
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let hook = {
        let (seen, path) = (Arc::clone(&seen), path.clone());
        move |event: &Event| {
            if matches!(event, Event::Authenticated { .. } | Event::Refreshed { .. }) {
                let saved = FileStore::new(&path).load(&key).expect("load");
                let secret = saved.map(|saved| saved.access_token.expose_secret().to_owned());
                seen.lock().expect("seen").push(secret.unwrap_or_default());
            }
        }
    };
    let manager = BlockingTokenManager::builder(config)
        .with_store(FileStore::new(&path))
        .on_event(hook)
        .build();

    let first = manager.token_owned().expect("token");
    manager.force_refresh();
    let second = manager.token_owned().expect("token");
    let announced = [first, second].map(|token| token.secret().expose_secret().to_owned());
    assert_ne!(announced[0], announced[1]);
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(
        seen, announced,
        "each token was in the store when announced"
    );
    assert_eq!(server.refresh_requests(), 1);
}
