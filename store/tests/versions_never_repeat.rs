//! A process that loaded version v, then saw the file deleted and recreated
//! by another, must get a conflict, not overwrite the new session because
//! the new file happened to restart at v; and the new session's versions
//! must still read as newer than the old one's.

mod common;

use common::{ACCESS, key, tokens};
use revault_auth_store::{FileStore, StoreError, TokenStore};

#[test]
fn versions_do_not_repeat_when_the_file_is_deleted_and_recreated() {
    let (_dir, path) = common::scratch();
    let store = FileStore::new(&path);
    let mut firsts = Vec::new();
    for _ in 0..20 {
        let stale = store.save(&key(), &tokens(ACCESS), None).expect("save");
        std::fs::remove_file(&path).expect("delete");
        let fresh = store
            .save(&key(), &tokens("zz-recreated"), None)
            .expect("recreate");
        assert_ne!(stale, fresh);
        // And the recreated session reads as newer: the core refuses to
        // restore a lower version than the one it holds.
        assert!(fresh > stale, "{fresh} <= {stale}");
        // The process still holding `stale` cannot overwrite.
        let late = store.save(&key(), &tokens("zz-stale-writer"), Some(stale));
        assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");
        let kept = store.load(&key()).expect("load").expect("saved");
        assert_eq!(kept.access_token.expose_secret(), "zz-recreated");
        firsts.push(stale);
        std::fs::remove_file(&path).expect("delete");
    }
    firsts.sort_unstable();
    firsts.dedup();
    assert_eq!(firsts.len(), 20, "first versions repeat: {firsts:?}");
}
