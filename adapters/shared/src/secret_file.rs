//! Reading the API key secret from a file, as deployments mount secrets:
//! only a regular file (a FIFO or a device could block or never end) of at
//! most [`MAX_SECRET_FILE_BYTES`], opened without waiting on a writer; one
//! trailing newline and a byte order mark are not part of the secret. A
//! link is followed (Kubernetes mounts each key of a Secret as a link), but
//! what is read must be a regular file. No error, warning or `Debug` ever
//! shows what the file holds.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use revault_auth_core::{ApiKeySecret, ConfigError};

/// Largest secret file read: a larger one is refused, never cut.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// A secret read from a file, and whether that file was open to others.
#[derive(Debug)]
pub struct SecretFromFile {
    secret: ApiKeySecret,
    path: PathBuf,
    /// The permission bits, when group or others may read the file.
    open_mode: Option<u32>,
}

impl SecretFromFile {
    /// The secret.
    pub fn secret(&self) -> &ApiKeySecret {
        &self.secret
    }

    /// The secret, moved out.
    pub fn into_secret(self) -> ApiKeySecret {
        self.secret
    }

    /// What to tell the user when group or others may read the file (the
    /// secret is still used: deployment tools often mount secrets with
    /// wider modes); `None` when it is private.
    pub fn warning(&self) -> Option<String> {
        self.open_mode.map(|mode| {
            format!(
                "the API key secret file {} is open to group or others (mode {mode:04o}); \
                 make it private (chmod 600)",
                self.path.display()
            )
        })
    }
}

/// Why a secret file cannot be used. Names the file, never its content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// Absent, not readable, or not UTF-8.
    #[error("cannot read the API key secret from {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason (never the content).
        reason: String,
    },
    /// A FIFO, a device, a directory...
    #[error("the API key secret file {} is not a regular file", path.display())]
    NotARegularFile {
        /// The file.
        path: PathBuf,
    },
    /// Larger than [`MAX_SECRET_FILE_BYTES`].
    #[error(
        "the API key secret file {} is larger than {} KiB: not an API key secret",
        path.display(),
        MAX_SECRET_FILE_BYTES / 1024
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// Nothing in it (or only a newline).
    #[error("the API key secret file {} is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

impl From<SecretFileError> for ConfigError {
    fn from(error: SecretFileError) -> Self {
        ConfigError::SecretFile(error.to_string())
    }
}

/// Reads the API key secret from the file at `path`; see the module docs.
pub fn read_secret_file(path: &Path) -> Result<SecretFromFile, SecretFileError> {
    let unreadable = |error: io::Error| SecretFileError::Unreadable {
        path: path.to_path_buf(),
        reason: reason(&error),
    };
    // Checked before opening: opening a FIFO would wait for a writer.
    let metadata = std::fs::metadata(path).map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(SecretFileError::NotARegularFile {
            path: path.to_path_buf(),
        });
    }
    if metadata.len() > MAX_SECRET_FILE_BYTES {
        return Err(SecretFileError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let file = open_without_blocking(path).map_err(unreadable)?;
    // Checked again on what was opened: the entry may have changed since.
    let opened = file.metadata().map_err(unreadable)?;
    if !opened.is_file() {
        return Err(SecretFileError::NotARegularFile {
            path: path.to_path_buf(),
        });
    }
    let secret = read_secret(file, path)?;
    Ok(SecretFromFile {
        secret,
        path: path.to_path_buf(),
        open_mode: open_mode(&opened),
    })
}

/// Reads the API key secret from `reader` (standard input, say), refused
/// past [`MAX_SECRET_FILE_BYTES`]; `shown` names it in errors.
pub fn read_secret(reader: impl Read, shown: &Path) -> Result<ApiKeySecret, SecretFileError> {
    let mut text = String::new();
    reader
        .take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| SecretFileError::Unreadable {
            path: shown.to_path_buf(),
            reason: reason(&error),
        })?;
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(SecretFileError::TooLarge {
            path: shown.to_path_buf(),
        });
    }
    let secret = trimmed(text);
    if secret.expose_secret().is_empty() {
        return Err(SecretFileError::Empty {
            path: shown.to_path_buf(),
        });
    }
    Ok(secret)
}

/// `text` without a leading byte order mark (an editor's, not part of the
/// secret) and one trailing newline; edited in place, so the secret is
/// moved, never copied.
pub fn trimmed(mut text: String) -> ApiKeySecret {
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    ApiKeySecret::new(text)
}

/// The error's kind in words: `read_to_string` on invalid UTF-8 says so
/// without quoting the bytes, and the OS messages name no content.
fn reason(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::InvalidData => "not valid UTF-8".to_owned(),
        _ => error.to_string(),
    }
}

/// The permission bits when group or others may read or write the file.
fn open_mode(metadata: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o7777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        None
    }
}

/// Opens `path` for reading without waiting for a writer, should it have
/// become a FIFO since it was checked.
fn open_without_blocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK.bits();
        options.custom_flags(i32::try_from(flags).unwrap_or(0));
    }
    options.open(path)
}
