//! [`StoreError`]: why a store could not load, lock or save. No variant
//! carries a token or a file's contents.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::file::STORE_FORMAT;

/// Why a store could not load, lock or save.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process saved first: the stored version is not the one
    /// expected. Load again and use what is there.
    #[error(
        "the token store changed since it was read (expected version {expected:?}, found {found:?})"
    )]
    Conflict {
        /// The version the caller expected.
        expected: Option<u64>,
        /// The version found in the store.
        found: Option<u64>,
    },
    /// The stored data is not a valid snapshot.
    #[error("the token store holds invalid data (line {line}, column {column})")]
    Corrupt {
        /// Where the JSON parser stopped (1-based, 0 if unknown).
        line: usize,
        /// Where the JSON parser stopped.
        column: usize,
    },
    /// The store was written in a format this version does not read.
    #[error("the token store holds format {0}; this version reads format {STORE_FORMAT}")]
    UnsupportedFormat(u32),
    /// The session's snapshot is well-formed but cannot be trusted: its
    /// lifetimes reach further than revault-api can issue, or its tokens
    /// name another account than the session's. Saving replaces it.
    #[error("the token store holds an implausible session: {0}")]
    Implausible(&'static str),
    /// The file, its lock files or its directory could be read or changed
    /// by someone else, or are not what a token store is made of; nothing
    /// was read from them and nothing was created.
    #[error("refusing {} for the token store: {refusal}", path.display())]
    Refused {
        /// The file or directory concerned.
        path: PathBuf,
        /// What is wrong with it.
        refusal: Refusal,
    },
    /// A lock stayed held by another process (perhaps stopped, or a lock
    /// file someone planted) until the deadline.
    #[error(
        "gave up after {:.1} s waiting for the lock {} (another process holds it)",
        waited.as_secs_f64(),
        path.display()
    )]
    LockTimeout {
        /// The lock file (for a store on a server: its URL, without any
        /// password, and the lock's key).
        path: PathBuf,
        /// How long this call waited.
        waited: Duration,
    },
    /// The session alone would make a file larger than the store reads
    /// back ([`MAX_FILE_BYTES`](crate::MAX_FILE_BYTES)); nothing was
    /// written.
    #[error("the session takes {size} bytes, more than the {limit} a token store may hold")]
    TooLarge {
        /// The size the file would have had.
        size: u64,
        /// The largest size written (and read).
        limit: u64,
    },
    /// A store on a server (Redis) could not be reached in time, refused
    /// the credentials, or failed a command. `store` names the server
    /// without any password.
    #[error("cannot {operation} the token store at {store}: {source}")]
    Unreachable {
        /// What was being done.
        operation: &'static str,
        /// The server, as a URL without its password.
        store: String,
        /// What went wrong (`TimedOut`, `ConnectionRefused`,
        /// `PermissionDenied` for refused credentials, ...).
        #[source]
        source: io::Error,
    },
    /// Reading, writing, locking or renaming failed.
    #[error("cannot {operation} {}: {source}", path.display())]
    Io {
        /// What was being done.
        operation: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// Why a file or directory was refused; see [`StoreError::Refused`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The path names no file (`/`, or ends with `/` or `..`).
    #[error("the path does not name a file")]
    NotAFilePath,
    /// A symbolic link: it could point anywhere another user chose.
    #[error("it is a symbolic link")]
    SymbolicLink,
    /// A directory, device, FIFO or socket: reading one could hang or
    /// never end.
    #[error("it is not a regular file")]
    NotARegularFile,
    /// Owned by another user, who could have written anything in it.
    #[error("it is owned by another user (uid {owner}), not by uid {user}")]
    OtherOwner {
        /// The file's owner.
        owner: u32,
        /// The user running this process (effective uid).
        user: u32,
    },
    /// Readable or writable by group or others.
    #[error("it is open to group or others (mode {mode:04o}; it must be 0600)")]
    OpenToOthers {
        /// The permission bits found.
        mode: u32,
    },
    /// The directory is owned by another user (neither this one nor root).
    #[error("its directory is owned by another user (uid {owner}); use a private directory")]
    DirectoryOtherOwner {
        /// The directory's owner.
        owner: u32,
    },
    /// The directory is writable by group or others (even with the sticky
    /// bit, others could plant files and links beside the store's).
    #[error(
        "its directory is writable by group or others (mode {mode:04o}); use a private directory"
    )]
    DirectoryOpenToOthers {
        /// The directory's permission bits.
        mode: u32,
    },
    /// The directory does not exist or is not a directory.
    #[error("its directory does not exist or is not a directory")]
    NoDirectory,
    /// Larger than any store this crate writes.
    #[error("it holds {size} bytes, more than the {limit} a token store may hold")]
    TooLarge {
        /// The file's size.
        size: u64,
        /// The largest size read.
        limit: u64,
    },
}
