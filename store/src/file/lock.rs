//! Advisory file locks (`flock`/`LockFileEx`) taken with a deadline.
//!
//! The OS offers no timed wait on a file lock, so the lock is tried, and
//! tried again after a short sleep that doubles up to 50 ms, until the
//! deadline: a process holding it forever (stopped with Ctrl-Z, or a lock
//! file opened by someone else) costs the others their deadline, never
//! more.

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::StoreError;

const FIRST_PAUSE: Duration = Duration::from_millis(2);
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// Locks `file` (at `path`, for errors) exclusively, waiting until
/// `deadline` at the latest. Unlocked when the file is closed.
pub(crate) fn lock_exclusive(
    file: &File,
    path: &Path,
    deadline: Instant,
) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let locked = FileExt::try_lock_exclusive(file).map_err(|source| StoreError::Io {
            operation: "lock",
            path: path.to_path_buf(),
            source,
        })?;
        if locked {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(StoreError::LockTimeout {
                path: path.to_path_buf(),
                waited: now.saturating_duration_since(started),
            });
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}
