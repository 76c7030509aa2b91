//! Opening the store's files so that nothing another user controls is ever
//! read or created: no symbolic link is followed, only regular files owned
//! by this user and closed to group and others are used, in a directory
//! only this user (or root) can change, and nothing is read past a size
//! limit. Opening never blocks (a FIFO is refused, not waited on).

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::{Refusal, StoreError};

fn refused(path: &Path, refusal: Refusal) -> StoreError {
    StoreError::Refused {
        path: path.to_path_buf(),
        refusal,
    }
}

fn io_error(operation: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        operation,
        path,
        source,
    }
}

/// The directory must exist and be changeable only by this user or root.
pub(crate) fn check_directory(directory: &Path) -> Result<(), StoreError> {
    let metadata = match fs::metadata(directory) {
        Ok(metadata) if metadata.is_dir() => metadata,
        Ok(_) => return Err(refused(directory, Refusal::NoDirectory)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(refused(directory, Refusal::NoDirectory));
        }
        Err(error) => return Err(io_error("inspect the directory", directory)(error)),
    };
    owner::check_directory(directory, &metadata)
}

/// What is at `path` must be absent or a regular, private file of ours;
/// checked (without following a link) before creating anything beside it.
pub(crate) fn check_if_present(path: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) => check_file(path, &metadata),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("inspect", path)(error)),
    }
}

/// Reads the whole file at `path` (`None` when absent), refusing anything
/// but a private regular file of ours of at most `limit` bytes.
pub(crate) fn read(path: &Path, limit: u64) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
    check_if_present(path)?;
    let file = match options().read(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(open_error(path, error)),
    };
    // Checked again on what was opened: the path may have changed since.
    let metadata = file.metadata().map_err(io_error("inspect", path))?;
    check_file(path, &metadata)?;
    if metadata.len() > limit {
        return Err(refused(
            path,
            Refusal::TooLarge {
                size: metadata.len(),
                limit,
            },
        ));
    }
    let capacity = usize::try_from(metadata.len()).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    // The file may grow after the check: never read more than the limit.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io_error("read", path))?;
    if bytes.len() as u64 > limit {
        return Err(refused(
            path,
            Refusal::TooLarge {
                size: bytes.len() as u64,
                limit,
            },
        ));
    }
    Ok(Some(bytes))
}

/// Opens (creating, mode 0600) the lock file at `path`, refusing a link,
/// a non-regular file, or a file of another user's or open to others.
pub(crate) fn open_lock(path: &Path) -> Result<File, StoreError> {
    check_if_present(path)?;
    let mut options = options();
    options.read(true).write(true).create(true).truncate(false);
    let file = options
        .open(path)
        .map_err(|error| open_error(path, error))?;
    let metadata = file
        .metadata()
        .map_err(io_error("inspect the lock file", path))?;
    check_file(path, &metadata)?;
    Ok(file)
}

fn check_file(path: &Path, metadata: &Metadata) -> Result<(), StoreError> {
    if metadata.file_type().is_symlink() {
        return Err(refused(path, Refusal::SymbolicLink));
    }
    if !metadata.is_file() {
        return Err(refused(path, Refusal::NotARegularFile));
    }
    owner::check_file(path, metadata)
}

fn open_error(path: &Path, error: io::Error) -> StoreError {
    if owner::is_symlink_refusal(&error) {
        refused(path, Refusal::SymbolicLink)
    } else {
        io_error("open", path)(error)
    }
}

#[cfg(unix)]
fn options() -> OpenOptions {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    // Never follow a link at the last component; never block on a FIFO
    // (no effect on regular files, the only ones used).
    let flags = OFlags::NOFOLLOW | OFlags::NONBLOCK;
    options
        .mode(0o600)
        .custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    options
}

#[cfg(not(unix))]
fn options() -> OpenOptions {
    OpenOptions::new()
}

#[cfg(unix)]
mod owner {
    use std::fs::Metadata;
    use std::io;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    use super::refused;
    use crate::{Refusal, StoreError};

    fn user() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    pub(super) fn check_file(path: &Path, metadata: &Metadata) -> Result<(), StoreError> {
        let (owner, user) = (metadata.uid(), user());
        if owner != user {
            return Err(refused(path, Refusal::OtherOwner { owner, user }));
        }
        let mode = metadata.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(refused(path, Refusal::OpenToOthers { mode }));
        }
        Ok(())
    }

    pub(super) fn check_directory(path: &Path, metadata: &Metadata) -> Result<(), StoreError> {
        let owner = metadata.uid();
        if owner != user() && owner != 0 {
            return Err(refused(path, Refusal::DirectoryOtherOwner { owner }));
        }
        let mode = metadata.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(refused(path, Refusal::DirectoryOpenToOthers { mode }));
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
    use std::fs::Metadata;
    use std::io;
    use std::path::Path;

    use crate::StoreError;

    // Windows: ACLs decide; the store does not inspect them.
    pub(super) fn check_file(_: &Path, _: &Metadata) -> Result<(), StoreError> {
        Ok(())
    }

    pub(super) fn check_directory(_: &Path, _: &Metadata) -> Result<(), StoreError> {
        Ok(())
    }

    pub(super) fn is_symlink_refusal(_: &io::Error) -> bool {
        false
    }
}
