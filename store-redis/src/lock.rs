//! The update lock: `SET <lock key> <owner> NX PX <ttl>` with a random
//! owner token, tried until the caller's deadline. While it is held, a
//! keep-alive thread pushes its expiry back every third of the TTL; when
//! the guard drops, the same thread deletes it, only if it is still ours
//! (compare-and-delete), so dropping the guard never waits on the server.
//! If the holder dies or stops (`kill -9`, SIGSTOP, a lost network), the
//! extensions stop with it and the lock expires by itself within one TTL.
//!
//! Within one store, a lock held or being released is waited for in
//! memory ([`Local`]) before asking the server: a manager locking again
//! right after its drop waits for its own release to land instead of
//! polling the server for it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use revault_auth_store::{StoreError, UpdateGuard};

use crate::pool::Pool;
use crate::scripts::{EXTEND, RELEASE};

const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// The locks of one store held, or being released, by this process.
#[derive(Default)]
pub(crate) struct Local {
    busy: Mutex<HashSet<String>>,
    freed: Condvar,
}

impl Local {
    /// Waits until no guard of this store holds or releases `key`, and
    /// marks it busy; `false` at the deadline.
    fn claim(&self, key: &str, deadline: Instant) -> bool {
        self.wait(deadline, |busy| busy.contains(key))
            .map(|mut busy| busy.insert(key.to_owned()))
            .is_some()
    }

    /// Waits until no guard of this store holds or releases a lock;
    /// `false` at the deadline.
    pub(crate) fn settle(&self, deadline: Instant) -> bool {
        self.wait(deadline, |busy| !busy.is_empty()).is_some()
    }

    /// The busy set once `blocked` no longer holds; `None` at the deadline.
    fn wait(
        &self,
        deadline: Instant,
        mut blocked: impl FnMut(&mut HashSet<String>) -> bool,
    ) -> Option<MutexGuard<'_, HashSet<String>>> {
        let busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        let left = deadline.saturating_duration_since(Instant::now());
        let (mut busy, _) = self
            .freed
            .wait_timeout_while(busy, left, &mut blocked)
            .unwrap_or_else(PoisonError::into_inner);
        (!blocked(&mut busy)).then_some(busy)
    }

    /// `key` is free again (released on the server, or never taken).
    fn free(&self, key: &str) {
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        busy.remove(key);
        self.freed.notify_all();
    }
}

/// Takes the lock at `key`, waiting until `deadline` at the latest.
pub(crate) fn acquire(
    pool: &Arc<Pool>,
    local: &Arc<Local>,
    key: &str,
    ttl: Duration,
    deadline: Instant,
) -> Result<UpdateGuard, StoreError> {
    let started = Instant::now();
    let timeout = |now: Instant| StoreError::LockTimeout {
        path: PathBuf::from(format!("{} {key}", pool.shown)),
        waited: now.saturating_duration_since(started),
    };
    if !local.claim(key, deadline) {
        return Err(timeout(Instant::now()));
    }
    match take(pool, key, ttl, deadline) {
        Ok(Some(owner)) => KeepAlive::start(
            Arc::clone(pool),
            Arc::clone(local),
            key.to_owned(),
            owner,
            ttl,
        )
        .map(UpdateGuard::new),
        Ok(None) => {
            local.free(key);
            Err(timeout(Instant::now()))
        }
        Err(error) => {
            local.free(key);
            Err(error)
        }
    }
}

/// `SET NX PX` until it succeeds (the owner token) or `deadline` passes
/// (`None`).
fn take(
    pool: &Pool,
    key: &str,
    ttl: Duration,
    deadline: Instant,
) -> Result<Option<String>, StoreError> {
    let owner = format!("{:032x}", fastrand::u128(..));
    let mut pause = FIRST_PAUSE;
    loop {
        if Instant::now() >= deadline {
            return Ok(None);
        }
        let taken: Option<String> = pool.run("take the update lock of", Some(deadline), |c| {
            redis::cmd("SET")
                .arg(key)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl))
                .query(c)
        })?;
        if taken.is_some() {
            return Ok(Some(owner));
        }
        let now = Instant::now();
        std::thread::sleep(pause.min(deadline.saturating_duration_since(now)));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Keeps a held lock alive; dropping it releases the lock (off the
/// dropping thread).
struct KeepAlive {
    /// Dropping the sender wakes the thread, which then releases.
    _stop: mpsc::Sender<()>,
}

impl KeepAlive {
    fn start(
        pool: Arc<Pool>,
        local: Arc<Local>,
        key: String,
        owner: String,
        ttl: Duration,
    ) -> Result<Self, StoreError> {
        let (stop, stopped) = mpsc::channel::<()>();
        let (thread_pool, thread_local) = (Arc::clone(&pool), Arc::clone(&local));
        let (thread_key, thread_owner) = (key.clone(), owner.clone());
        let spawned = std::thread::Builder::new()
            .name("revault-auth-redis-lock".to_owned())
            .spawn(move || {
                keep_alive(&thread_pool, &thread_key, &thread_owner, ttl, &stopped);
                thread_local.free(&thread_key);
            });
        match spawned {
            Ok(_) => Ok(Self { _stop: stop }),
            Err(error) => {
                release(&pool, &key, &owner);
                local.free(&key);
                Err(pool.unreachable("keep alive the update lock of", error))
            }
        }
    }
}

fn keep_alive(pool: &Pool, key: &str, owner: &str, ttl: Duration, stopped: &mpsc::Receiver<()>) {
    let period = (ttl / 3).max(Duration::from_millis(1));
    let mut held = true;
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(period) {
        if !held {
            continue;
        }
        let extended: Result<i64, _> = pool.run("extend the update lock of", None, |c| {
            EXTEND.key(key).arg(owner).arg(millis(ttl)).invoke(c)
        });
        // 0: it expired (the server or this process was stopped longer
        // than the TTL) and may be another's now; an error: tried again
        // next period, and the lock expires by itself if the server stays
        // out of reach.
        if let Ok(0) = extended {
            held = false;
        }
    }
    if held {
        release(pool, key, owner);
    }
}

/// Deletes the lock if it is still `owner`'s; best effort (it expires
/// anyway).
fn release(pool: &Pool, key: &str, owner: &str) {
    let _: Result<i64, _> = pool.run("release the update lock of", None, |c| {
        RELEASE.key(key).arg(owner).invoke(c)
    });
}

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
