//! # revault-auth-store
//!
//! Where a token survives its process: the [`TokenStore`] trait and
//! [`FileStore`], a JSON file that several processes can share.
//!
//! ## Versions: why a compare-and-swap
//! revault-api rotates refresh tokens: each is good for one refresh. Two
//! processes holding the same saved refresh token must not both send it,
//! and a process must not lose the rotated token it just received. So every
//! snapshot carries a version, and [`TokenStore::save`] only succeeds when
//! the stored version is still the one the caller last saw; otherwise it
//! returns [`StoreError::Conflict`], and the caller loads the newer tokens
//! (which another process obtained) instead of spending its own. Save new
//! tokens *before* using them, so a crash right after a refresh loses
//! nothing.
//!
//! ## The file store
//! - The file is created with mode `0600` on unix (the lock file too).
//! - Writes go to a temporary file in the same directory, are fsynced, then
//!   renamed over the old file (atomic replace): a reader sees the old
//!   snapshot or the new one, never half of one, even after a crash. This
//!   is unlike a truncate-then-write store (yup-oauth2's disk storage),
//!   where a crash mid-write leaves a broken file.
//! - The read-check-write of [`save`](TokenStore::save) runs under an
//!   advisory lock (`flock`/`LockFileEx`) on a sibling `<file>.lock`, so
//!   two processes serialize. Advisory: a process that does not take the
//!   lock is not stopped by it.
//! - [`FileStore::lock_for_update`] goes further: held from "the tokens
//!   need renewing" until the new ones are saved, it makes other processes
//!   wait and then reuse them, so they never send the same refresh token.
//! - A file that is not valid JSON, or not a snapshot this version knows,
//!   is [`StoreError::Corrupt`] / [`StoreError::UnsupportedFormat`] on
//!   [`load`](TokenStore::load); [`save`](TokenStore::save) treats it as
//!   absent (expected version `None`) and replaces it.
//!
//! Errors never carry a token: JSON errors are reduced to a line and a
//! column, since `serde_json` messages may quote the offending value.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use revault_auth_core::SAVED_FORMAT;
use zeroize::Zeroizing;

pub use revault_auth_core::SavedTokens;

/// Why a store could not load or save.
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
    /// The snapshot was written in a format this version does not read.
    #[error("the token store holds format {0}; this version reads format {SAVED_FORMAT}")]
    UnsupportedFormat(u32),
    /// Reading, writing, locking or renaming failed.
    #[error("cannot {operation} the token store {}: {source}", path.display())]
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

/// Somewhere tokens outlive the process. See the crate docs for the
/// version protocol.
pub trait TokenStore {
    /// The stored snapshot, `None` when there is none yet.
    fn load(&self) -> Result<Option<SavedTokens>, StoreError>;

    /// Saves `tokens` if the stored version is `expected_version` (`None`:
    /// nothing stored yet), and returns the new version. `tokens.version`
    /// is ignored; the stored copy carries the new version.
    fn save(&self, tokens: &SavedTokens, expected_version: Option<u64>) -> Result<u64, StoreError>;
}

/// A JSON file store; see the crate docs.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    update_lock_path: PathBuf,
}

/// Held while this process obtains new tokens for a [`FileStore`]; see
/// [`FileStore::lock_for_update`]. Released on drop (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct UpdateGuard {
    _file: File,
}

impl FileStore {
    /// A store at `path` (created on the first save; its directory must
    /// exist). The lock file is `path` with `.lock` appended.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let sibling = |suffix: &str| {
            let mut sibling = path.clone().into_os_string();
            sibling.push(suffix);
            PathBuf::from(sibling)
        };
        Self {
            lock_path: sibling(".lock"),
            update_lock_path: sibling(".update.lock"),
            path,
        }
    }

    /// Waits for, then takes, the store's update lock (on a sibling
    /// `<file>.update.lock`): hold it from deciding that new tokens are
    /// needed until they are saved, and load again once it is held. Other
    /// processes doing the same wait, then find the tokens saved and use
    /// them instead of spending the same refresh token. Independent of the
    /// lock [`save`](TokenStore::save) takes, so loading and saving under
    /// it is fine.
    pub fn lock_for_update(&self) -> Result<UpdateGuard, StoreError> {
        let file = lock_file(&self.update_lock_path, true)?;
        Ok(UpdateGuard { _file: file })
    }

    /// The file holding the snapshot.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, operation: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io {
            operation,
            path,
            source,
        }
    }

    /// Takes the advisory lock; released when the returned file is dropped.
    fn lock(&self, exclusive: bool) -> Result<File, StoreError> {
        lock_file(&self.lock_path, exclusive)
    }

    /// Reads the snapshot; the caller holds the lock.
    fn read(&self) -> Result<Option<SavedTokens>, StoreError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(self.io("open", &self.path)(error)),
        };
        let mut bytes = Zeroizing::new(Vec::with_capacity(4096));
        file.read_to_end(&mut bytes)
            .map_err(self.io("read", &self.path))?;
        let format: FormatOnly = serde_json::from_slice(&bytes).map_err(corrupt)?;
        if format.format != SAVED_FORMAT {
            return Err(StoreError::UnsupportedFormat(format.format));
        }
        serde_json::from_slice(&bytes).map(Some).map_err(corrupt)
    }

    fn write(&self, tokens: &SavedTokens) -> Result<(), StoreError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(8192));
        serde_json::to_writer_pretty(&mut *bytes, tokens).map_err(|error| {
            self.io("encode", &self.path)(io::Error::other(error.classify_text()))
        })?;
        bytes.push(b'\n');
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // tempfile creates the file with mode 0600 on unix.
        let mut temp = tempfile::Builder::new()
            .prefix(".revault-auth-")
            .suffix(".tmp")
            .tempfile_in(directory)
            .map_err(self.io("create a temporary file next to", &self.path))?;
        temp.write_all(&bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(self.io("write", temp.path()))?;
        temp.persist(&self.path)
            .map_err(|error| self.io("replace", &self.path)(error.error))?;
        sync_directory(directory);
        Ok(())
    }
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<SavedTokens>, StoreError> {
        let _lock = self.lock(false)?;
        self.read()
    }

    fn save(&self, tokens: &SavedTokens, expected_version: Option<u64>) -> Result<u64, StoreError> {
        let _lock = self.lock(true)?;
        let found = match self.read() {
            Ok(saved) => saved.map(|saved| saved.version),
            // Unreadable data is replaced, as if absent.
            Err(StoreError::Corrupt { .. } | StoreError::UnsupportedFormat(_)) => None,
            Err(error) => return Err(error),
        };
        if found != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                found,
            });
        }
        let version = found.map_or(1, |found| found.saturating_add(1));
        let mut tokens = tokens.clone();
        tokens.version = version;
        self.write(&tokens)?;
        Ok(version)
    }
}

/// Opens (creating, 0600) and locks `path`; unlocked when the file closes.
fn lock_file(path: &Path, exclusive: bool) -> Result<File, StoreError> {
    let io = |operation| {
        move |source| StoreError::Io {
            operation,
            path: path.to_path_buf(),
            source,
        }
    };
    let file = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io("open the lock file"))?;
    // Through the trait: std's own `File::lock*` methods are newer than
    // our rust-version.
    let locked = if exclusive {
        fs4::fs_std::FileExt::lock_exclusive(&file)
    } else {
        fs4::fs_std::FileExt::lock_shared(&file)
    };
    locked.map_err(io("lock"))?;
    Ok(file)
}

#[derive(serde::Deserialize)]
struct FormatOnly {
    format: u32,
}

fn corrupt(error: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        line: error.line(),
        column: error.column(),
    }
}

trait ClassifyText {
    fn classify_text(&self) -> &'static str;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error while encoding",
            _ => "cannot encode the tokens",
        }
    }
}

#[cfg(unix)]
fn private_options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = OpenOptions::new();
    options.mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> OpenOptions {
    OpenOptions::new()
}

/// Makes the rename durable (unix); best effort.
fn sync_directory(directory: &Path) {
    #[cfg(unix)]
    if let Ok(directory) = File::open(directory) {
        let _ = directory.sync_all();
    }
    #[cfg(not(unix))]
    let _ = directory;
}
