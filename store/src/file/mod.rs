//! [`FileStore`]: sessions in one JSON file that several processes share.

mod format;
mod lock;
mod private;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use revault_auth_core::SavedTokens;

pub use format::STORE_FORMAT;

use crate::{Refusal, SessionKey, StoreError, TokenStore, UpdateGuard};
pub(crate) use format::Document;

/// Largest store file read: sixteen sessions take a few tens of KiB.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The longest token lifetime trusted in a stored session by default: the
/// core's default `Policy::max_lifetime` (7 days), which refuses longer
/// ones from the server itself.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long [`save`](TokenStore::save) waits by default for another
/// process's save to finish.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(5);

/// A JSON file store; see the crate docs.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
    update_lock_path: PathBuf,
    lock_wait: Duration,
    max_lifetime: Duration,
}

impl FileStore {
    /// A store at `path` (created on the first save; its directory must
    /// exist and be private). The lock files are `path` with `.lock` and
    /// `.update.lock` appended. Nothing is checked or created until used.
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
            lock_wait: DEFAULT_LOCK_WAIT,
            max_lifetime: DEFAULT_MAX_LIFETIME,
        }
    }

    /// How long [`save`](TokenStore::save) may wait for another process's
    /// save (default [`DEFAULT_LOCK_WAIT`]); a save takes milliseconds, so
    /// only a stopped process makes it wait at all.
    #[must_use]
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The longest token lifetime revault-api is trusted to issue (default
    /// [`DEFAULT_MAX_LIFETIME`]; set it to the client's
    /// `Policy::max_lifetime`): a stored session whose deadlines lie
    /// further ahead is [`StoreError::Implausible`].
    #[must_use]
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// The file holding the sessions.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the store lives in; refuses a path that names no
    /// file, and a directory others can change.
    fn check_location(&self) -> Result<&Path, StoreError> {
        let names_a_file = self.path.file_name().is_some()
            && !self
                .path
                .as_os_str()
                .to_string_lossy()
                .ends_with(['/', '\\']);
        if !names_a_file {
            return Err(StoreError::Refused {
                path: self.path.clone(),
                refusal: Refusal::NotAFilePath,
            });
        }
        let directory = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        private::check_directory(directory)?;
        private::check_if_present(&self.path)?;
        Ok(directory)
    }

    fn read(&self) -> Result<Option<Document>, StoreError> {
        match private::read(&self.path, MAX_FILE_BYTES)? {
            Some(bytes) => Document::parse(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn write(&self, directory: &Path, document: &Document) -> Result<(), StoreError> {
        let bytes = zeroize::Zeroizing::new(document.encode().map_err(|error| StoreError::Io {
            operation: "encode",
            path: self.path.clone(),
            source: io::Error::other(match error.classify() {
                serde_json::error::Category::Io => "I/O error while encoding",
                _ => "cannot encode the tokens",
            }),
        })?);
        // tempfile creates the file with O_EXCL and mode 0600 on unix: it
        // never follows a link nor opens someone else's file.
        let mut temp = tempfile::Builder::new()
            .prefix(".revault-auth-")
            .suffix(".tmp")
            .tempfile_in(directory)
            .map_err(io_error("create a temporary file next to", &self.path))?;
        temp.write_all(&bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(io_error("write", temp.path()))?;
        // rename() replaces a link at the path itself, never its target.
        temp.persist(&self.path)
            .map_err(|error| io_error("replace", &self.path)(error.error))?;
        sync_directory(directory);
        Ok(())
    }
}

impl TokenStore for FileStore {
    /// Reads without locking: saves replace the file atomically, so a
    /// reader sees one whole version or another. Creates nothing.
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
        self.check_location()?;
        let Some(document) = self.read()? else {
            return Ok(None);
        };
        Ok(document
            .session(session, SystemTime::now(), self.max_lifetime)?
            .cloned())
    }

    /// One update lock per file (`<file>.update.lock`), whatever the
    /// session: sessions sharing a file also take turns refreshing.
    fn lock_for_update(
        &self,
        _session: &SessionKey,
        deadline: Instant,
    ) -> Result<UpdateGuard, StoreError> {
        self.check_location()?;
        let file = private::open_lock(&self.update_lock_path)?;
        lock::lock_exclusive(&file, &self.update_lock_path, deadline)?;
        Ok(UpdateGuard::new(file))
    }

    fn save(
        &self,
        session: &SessionKey,
        tokens: &SavedTokens,
        expected_version: Option<u64>,
    ) -> Result<u64, StoreError> {
        let directory = self.check_location()?;
        if !session.owns(tokens) {
            return Err(StoreError::Implausible(
                "its tokens belong to another workspace or API key",
            ));
        }
        let lock = private::open_lock(&self.lock_path)?;
        lock::lock_exclusive(&lock, &self.lock_path, Instant::now() + self.lock_wait)?;
        let now = SystemTime::now();
        let mut document = match self.read() {
            Ok(document) => document.unwrap_or_default(),
            // Unreadable data is replaced, as if absent.
            Err(StoreError::Corrupt { .. } | StoreError::UnsupportedFormat(_)) => {
                Document::default()
            }
            Err(error) => return Err(error),
        };
        let found = match document.session(session, now, self.max_lifetime) {
            Ok(saved) => saved.map(|saved| saved.version),
            // An implausible session is replaced, as if absent.
            Err(StoreError::Implausible(_)) => None,
            Err(error) => return Err(error),
        };
        if found != expected_version {
            return Err(StoreError::Conflict {
                expected: expected_version,
                found,
            });
        }
        let version = found.map_or_else(crate::first_version, |found| found.wrapping_add(1).max(1));
        let mut tokens = tokens.clone();
        tokens.version = version;
        document.put(session, tokens, now);
        self.write(directory, &document)?;
        drop(lock);
        Ok(version)
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

/// Makes the rename durable (unix); best effort.
fn sync_directory(directory: &Path) {
    #[cfg(unix)]
    if let Ok(directory) = std::fs::File::open(directory) {
        let _ = directory.sync_all();
    }
    #[cfg(not(unix))]
    let _ = directory;
}
