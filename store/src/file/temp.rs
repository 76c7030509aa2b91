//! Temporary files: a save writes the new version beside the store and
//! renames it into place. A process killed between the two leaves its
//! temporary file, which holds live tokens; so each is named for its writer
//! (`.revault-auth-<pid>-<random>.tmp`) and the next save removes ours
//! whose writer is gone, or which are older than any save takes.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::time::{Duration, SystemTime};

use super::directory::{Access, Directory};
use super::private;

const PREFIX: &str = ".revault-auth-";
const SUFFIX: &str = ".tmp";

/// A save takes milliseconds: a temporary file this old was left by a
/// process that will not finish it (or stopped far longer than any lock
/// wait, and whose save is lost anyway).
const STALE_AFTER: Duration = Duration::from_secs(60);

/// Creates a new temporary file (mode 0600, never through a link) in
/// `directory`; returns it and its name.
pub(crate) fn create(directory: &Directory) -> io::Result<(File, OsString)> {
    let mut attempts = 0;
    loop {
        let name = OsString::from(format!(
            "{PREFIX}{}-{:016x}{SUFFIX}",
            std::process::id(),
            fastrand::u64(..)
        ));
        match directory.open_file(&name, Access::CreateNew) {
            Ok(file) => return Ok((file, name)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempts < 8 => {
                attempts += 1;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Removes our temporary files in `directory` that no save will finish;
/// best effort (a file that cannot be inspected or removed stays).
pub(crate) fn remove_stale(directory: &Directory, now: SystemTime) {
    let Ok(names) = directory.names() else {
        return;
    };
    for name in names {
        let Some(writer) = writer_of(&name) else {
            continue;
        };
        let Ok(Some(facts)) = directory.entry(&name) else {
            continue;
        };
        if !private::is_ours(&facts) {
            continue;
        }
        let old = facts
            .modified
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        let writer_gone = writer.is_some_and(|pid| !is_running(pid));
        if old || writer_gone {
            let _ = directory.remove(&name);
        }
    }
}

/// For a temporary file's name: `Some(Some(pid))` when it names its
/// writer, `Some(None)` when it is ours but does not (an older naming),
/// `None` when it is not one of ours.
fn writer_of(name: &OsStr) -> Option<Option<u32>> {
    let middle = name.to_str()?.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    Some(middle.split_once('-').and_then(|(pid, random)| {
        (random.len() == 16 && random.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .then(|| pid.parse().ok())
            .flatten()
    }))
}

/// Whether a process with this pid runs on this host.
#[cfg(unix)]
fn is_running(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Without a way to ask, every writer is taken as running: age decides.
#[cfg(not(unix))]
fn is_running(_: u32) -> bool {
    true
}
