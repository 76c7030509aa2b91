//! [`FileStore`]: sessions in one JSON file that several processes share.

mod directory;
mod format;
mod lock;
mod private;
mod temp;

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use revault_auth_core::SavedTokens;

pub use format::STORE_FORMAT;

use crate::{Refusal, SessionKey, StoreError, TokenStore, UpdateGuard};
use directory::Directory;
pub(crate) use format::Document;
use private::{DirectoryTrust, io_error};

/// Largest store file read, and written: a save that would write more
/// drops the sessions saved longest ago (sixteen sessions of ordinary
/// tokens take a few tens of KiB).
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
    /// The file's name in its directory (empty when the path names none).
    name: OsString,
    lock_name: OsString,
    update_lock_name: OsString,
    lock_wait: Duration,
    max_lifetime: Duration,
    directory_trust: DirectoryTrust,
}

impl FileStore {
    /// A store at `path` (created on the first save; its directory must
    /// exist and be private). The lock files are `path` with `.lock` and
    /// `.update.lock` appended. Nothing is checked or created until used.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = path.file_name().unwrap_or_default().to_owned();
        let sibling = |suffix: &str| {
            let mut sibling = name.clone();
            sibling.push(suffix);
            sibling
        };
        Self {
            lock_name: sibling(".lock"),
            update_lock_name: sibling(".update.lock"),
            name,
            path,
            lock_wait: DEFAULT_LOCK_WAIT,
            max_lifetime: DEFAULT_MAX_LIFETIME,
            directory_trust: DirectoryTrust::OwnerOnly,
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

    /// Accepts a directory that members of its group may change, provided
    /// this process belongs to that group (its effective group or a
    /// supplementary one): a Kubernetes volume mounted with `fsGroup`, or
    /// an `emptyDir`, is group-writable. Others may still not write it,
    /// and the token file itself must still be ours and private.
    ///
    /// The risk: every process of that group (every container of the pod
    /// sharing the volume, any other user in the group) can delete or
    /// replace the token file and its lock files. It cannot read the
    /// tokens, and a file it plants is refused (not ours), but it can make
    /// this process lose its saved session or wait on a lock. Use it only
    /// where everyone in the group is trusted as much as this process.
    /// Off by default: a group-writable directory is refused as
    /// [`Refusal::DirectoryOpenToOthers`].
    #[must_use]
    pub fn trust_group_writable_directory(mut self) -> Self {
        self.directory_trust = DirectoryTrust::OwnGroup;
        self
    }

    /// The file holding the sessions.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory the store lives in, opened; refuses a path that names
    /// no file, a directory reached through a link, and a directory others
    /// can change. Every later operation is relative to what it returns.
    fn check_location(&self) -> Result<Directory, StoreError> {
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
        let directory = private::open_directory(directory, self.directory_trust)?;
        private::check_if_present(&directory, &self.name)?;
        Ok(directory)
    }

    fn read(&self, directory: &Directory) -> Result<Option<Document>, StoreError> {
        match private::read(directory, &self.name, MAX_FILE_BYTES)? {
            Some(bytes) => Document::parse(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// The bytes of `document`, dropping the sessions saved longest ago
    /// (never `session`'s) until they fit in [`MAX_FILE_BYTES`]: nothing is
    /// written that the store would not read back.
    fn encode_within_limit(
        &self,
        document: &mut Document,
        session: &SessionKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
        loop {
            let bytes =
                zeroize::Zeroizing::new(document.encode().map_err(|error| StoreError::Io {
                    operation: "encode",
                    path: self.path.clone(),
                    source: io::Error::other(match error.classify() {
                        serde_json::error::Category::Io => "I/O error while encoding",
                        _ => "cannot encode the tokens",
                    }),
                })?);
            let size = bytes.len() as u64;
            if size <= MAX_FILE_BYTES {
                return Ok(bytes);
            }
            if !document.drop_oldest_except(session) {
                return Err(StoreError::TooLarge {
                    size,
                    limit: MAX_FILE_BYTES,
                });
            }
        }
    }

    fn write(&self, directory: &Directory, bytes: &[u8]) -> Result<(), StoreError> {
        let (mut temp, temp_name) = temp::create(directory)
            .map_err(io_error("create a temporary file next to", &self.path))?;
        let written = temp
            .write_all(bytes)
            .and_then(|()| temp.sync_all())
            .map_err(io_error("write", &directory.shown(&temp_name)))
            // rename() replaces a link at the name itself, never its target.
            .and_then(|()| {
                directory
                    .rename(&temp_name, &self.name)
                    .map_err(io_error("replace", &self.path))
            });
        drop(temp);
        if written.is_err() {
            let _ = directory.remove(&temp_name);
        }
        written?;
        directory.sync();
        Ok(())
    }
}

impl TokenStore for FileStore {
    /// Reads without locking: saves replace the file atomically, so a
    /// reader sees one whole version or another. Creates nothing.
    fn load(&self, session: &SessionKey) -> Result<Option<SavedTokens>, StoreError> {
        let directory = self.check_location()?;
        let Some(document) = self.read(&directory)? else {
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
        let directory = self.check_location()?;
        let file = private::open_lock(&directory, &self.update_lock_name)?;
        let shown = directory.shown(&self.update_lock_name);
        lock::lock_exclusive(&file, &shown, deadline)?;
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
        let lock = private::open_lock(&directory, &self.lock_name)?;
        let shown = directory.shown(&self.lock_name);
        lock::lock_exclusive(&lock, &shown, Instant::now() + self.lock_wait)?;
        let now = SystemTime::now();
        temp::remove_stale(&directory, now);
        let mut document = match self.read(&directory) {
            Ok(document) => document.unwrap_or_default(),
            // Unreadable data is replaced, as if absent: data that does not
            // parse, and a file of ours too large to read.
            Err(
                StoreError::Corrupt { .. }
                | StoreError::UnsupportedFormat(_)
                | StoreError::Refused {
                    refusal: Refusal::TooLarge { .. },
                    ..
                },
            ) => Document::default(),
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
        let bytes = self.encode_within_limit(&mut document, session)?;
        self.write(&directory, &bytes)?;
        drop(lock);
        Ok(version)
    }
}
