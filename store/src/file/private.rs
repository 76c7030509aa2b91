//! Opening the store's files so that nothing another user controls is ever
//! read or created: no symbolic link is followed (the directory's own name
//! included), only regular files owned by this user and closed to group
//! and others are used, in a directory only this user (or root) can
//! change, and nothing is read past a size limit. Opening never blocks (a
//! FIFO is refused, not waited on).

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use zeroize::Zeroizing;

use super::directory::{Access, Directory, Facts, Kind};
use crate::{Refusal, StoreError};

fn refused(path: &Path, refusal: Refusal) -> StoreError {
    StoreError::Refused {
        path: path.to_path_buf(),
        refusal,
    }
}

/// Maps an IO failure of `operation` on `path` to the store's error.
pub(super) fn io_error(
    operation: &'static str,
    path: &Path,
) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        operation,
        path,
        source,
    }
}

/// Which writable directories the store accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectoryTrust {
    /// Only this user (or root) may change the directory.
    OwnerOnly,
    /// Members of the directory's group may change it too, provided this
    /// process is one of them.
    OwnGroup,
}

/// Opens the directory at `path`, which must exist, not be a link, and be
/// changeable only by this user or root (and, as `trust` allows, by the
/// members of this process's group).
pub(crate) fn open_directory(path: &Path, trust: DirectoryTrust) -> Result<Directory, StoreError> {
    let directory = match Directory::open(path) {
        Ok(directory) => directory,
        Err(_) if Directory::is_link(path) => return Err(refused(path, Refusal::SymbolicLink)),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Err(refused(path, Refusal::NoDirectory));
        }
        Err(error) => return Err(io_error("open the directory", path)(error)),
    };
    let facts = directory
        .facts()
        .map_err(io_error("inspect the directory", path))?;
    owner::check_directory(path, &facts, trust)?;
    Ok(directory)
}

/// What is at `name` must be absent or a regular, private file of ours;
/// checked (without following a link) before creating anything beside it.
pub(crate) fn check_if_present(directory: &Directory, name: &OsStr) -> Result<(), StoreError> {
    let path = directory.shown(name);
    match directory.entry(name).map_err(io_error("inspect", &path))? {
        Some(facts) => check_file(&path, &facts),
        None => Ok(()),
    }
}

/// Reads the whole file `name` (`None` when absent), refusing anything but
/// a private regular file of ours of at most `limit` bytes.
pub(crate) fn read(
    directory: &Directory,
    name: &OsStr,
    limit: u64,
) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    let path = directory.shown(name);
    check_if_present(directory, name)?;
    let file = match directory.open_file(name, Access::Read) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(open_error(&path, error)),
    };
    // Checked again on what was opened: the entry may have changed since.
    let facts = Directory::file_facts(&file).map_err(io_error("inspect", &path))?;
    check_file(&path, &facts)?;
    let size = file.metadata().map_err(io_error("inspect", &path))?.len();
    if size > limit {
        return Err(refused(&path, Refusal::TooLarge { size, limit }));
    }
    let capacity = usize::try_from(size).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    // The file may grow after the check: never read more than the limit.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error("read", &path))?;
    if bytes.len() as u64 > limit {
        return Err(refused(
            &path,
            Refusal::TooLarge {
                size: bytes.len() as u64,
                limit,
            },
        ));
    }
    Ok(Some(bytes))
}

/// Opens (creating, mode 0600) the lock file `name`, refusing a link, a
/// non-regular file, or a file of another user's or open to others.
pub(crate) fn open_lock(directory: &Directory, name: &OsStr) -> Result<File, StoreError> {
    let path = directory.shown(name);
    check_if_present(directory, name)?;
    let file = directory
        .open_file(name, Access::CreateOrOpen)
        .map_err(|error| open_error(&path, error))?;
    let facts = Directory::file_facts(&file).map_err(io_error("inspect the lock file", &path))?;
    check_file(&path, &facts)?;
    Ok(file)
}

/// Whether `facts` describe a regular file of ours (whatever its mode).
pub(crate) fn is_ours(facts: &Facts) -> bool {
    facts.kind == Kind::RegularFile && owner::is_mine(facts.owner)
}

fn check_file(path: &Path, facts: &Facts) -> Result<(), StoreError> {
    match facts.kind {
        Kind::SymbolicLink => Err(refused(path, Refusal::SymbolicLink)),
        Kind::RegularFile => owner::check_file(path, facts),
        Kind::Directory | Kind::Other => Err(refused(path, Refusal::NotARegularFile)),
    }
}

pub(crate) fn open_error(path: &Path, error: io::Error) -> StoreError {
    if owner::is_symlink_refusal(&error) {
        refused(path, Refusal::SymbolicLink)
    } else {
        io_error("open", path)(error)
    }
}

#[cfg(unix)]
mod owner {
    use std::io;
    use std::path::Path;

    use super::{DirectoryTrust, refused};
    use crate::file::directory::Facts;
    use crate::{Refusal, StoreError};

    fn user() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    pub(super) fn is_mine(owner: u32) -> bool {
        owner == user()
    }

    pub(super) fn check_file(path: &Path, facts: &Facts) -> Result<(), StoreError> {
        let (owner, user) = (facts.owner, user());
        if owner != user {
            return Err(refused(path, Refusal::OtherOwner { owner, user }));
        }
        if facts.mode & 0o077 != 0 {
            return Err(refused(path, Refusal::OpenToOthers { mode: facts.mode }));
        }
        Ok(())
    }

    /// Whether this process is a member of `group` (effective or
    /// supplementary: Kubernetes adds `fsGroup` as a supplementary group).
    fn is_our_group(group: u32) -> bool {
        rustix::process::getegid().as_raw() == group
            || rustix::process::getgroups()
                .is_ok_and(|groups| groups.iter().any(|gid| gid.as_raw() == group))
    }

    pub(super) fn check_directory(
        path: &Path,
        facts: &Facts,
        trust: DirectoryTrust,
    ) -> Result<(), StoreError> {
        let owner = facts.owner;
        if owner != user() && owner != 0 {
            return Err(refused(path, Refusal::DirectoryOtherOwner { owner }));
        }
        let group_may_write = trust == DirectoryTrust::OwnGroup && is_our_group(facts.group);
        let closed = if group_may_write { 0o002 } else { 0o022 };
        if facts.mode & closed != 0 {
            return Err(refused(
                path,
                Refusal::DirectoryOpenToOthers { mode: facts.mode },
            ));
        }
        Ok(())
    }

    /// `O_NOFOLLOW` on a link fails with `ELOOP` (`EMLINK` on some BSDs).
    pub(super) fn is_symlink_refusal(error: &io::Error) -> bool {
        let code = error.raw_os_error();
        code == Some(rustix::io::Errno::LOOP.raw_os_error())
            || code == Some(rustix::io::Errno::MLINK.raw_os_error())
    }
}

#[cfg(not(unix))]
mod owner {
    use std::io;
    use std::path::Path;

    use super::DirectoryTrust;
    use crate::StoreError;
    use crate::file::directory::Facts;

    // Windows: ACLs decide; the store does not inspect them.
    pub(super) fn is_mine(_: u32) -> bool {
        true
    }

    pub(super) fn check_file(_: &Path, _: &Facts) -> Result<(), StoreError> {
        Ok(())
    }

    pub(super) fn check_directory(
        _: &Path,
        _: &Facts,
        _: DirectoryTrust,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    pub(super) fn is_symlink_refusal(_: &io::Error) -> bool {
        false
    }
}
