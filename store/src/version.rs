//! [`first_version`]: where a new session's versions start, in any store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// A new session's first version, for every store: the wall clock in
/// microseconds, plus up to a millisecond at random, and above every first
/// version this process gave before. So versions do not repeat when the
/// store is deleted and made again (a file removed, a Redis restarted
/// empty: a process still holding a version from before cannot match the
/// new store's by chance, as it could with a counter restarting at 1, even
/// after the wall clock stepped back), and a recreated session's versions
/// count on from the old one's: always within a process, and between
/// processes whenever the two creations are more than a millisecond apart
/// (a session is saved at most a few times a second). Below 2^53 (exact in
/// every JSON reader) until the year 2255.
pub fn first_version() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let micros = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        });
    let candidate = micros.saturating_add(fastrand::u64(..1000));
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(candidate.max(last.saturating_add(1)))
        })
        .unwrap_or_else(|last| last);
    candidate
        .max(previous.saturating_add(1))
        .clamp(1, (1 << 53) - 1)
}
