//! The store's directory, opened once per operation without following a
//! link: every file of the store is then inspected, opened, created,
//! renamed and removed relative to that open directory, so a link swapped
//! in along the path after the check cannot redirect any of them.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a directory entry is, as far as the store's checks go (a link is
/// never followed to find out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    SymbolicLink,
    RegularFile,
    Directory,
    Other,
}

/// The facts the store's checks need about a file or directory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub(crate) kind: Kind,
    /// The owner's uid (0 where there are none).
    pub(crate) owner: u32,
    /// The permission bits (0 where there are none).
    pub(crate) mode: u32,
    pub(crate) modified: Option<SystemTime>,
}

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Read an existing file.
    Read,
    /// Read and write, creating the file (mode 0600) if absent.
    CreateOrOpen,
    /// Write a file that must not exist yet (mode 0600).
    CreateNew,
}

/// An open directory and its path (for messages).
#[derive(Debug)]
pub(crate) struct Directory {
    #[cfg(unix)]
    handle: File,
    path: PathBuf,
}

impl Directory {
    /// The path of `name` in this directory, for messages.
    pub(crate) fn shown(&self, name: &OsStr) -> PathBuf {
        self.path.join(name)
    }
}

#[cfg(unix)]
mod imp {
    use std::os::unix::ffi::OsStrExt;
    use std::time::Duration;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};

    use super::*;

    // `st_mode` is a u16 on some platforms, a u32 on others.
    #[allow(clippy::useless_conversion)]
    fn facts(stat: &rustix::fs::Stat) -> Facts {
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::Symlink => Kind::SymbolicLink,
            FileType::RegularFile => Kind::RegularFile,
            FileType::Directory => Kind::Directory,
            _ => Kind::Other,
        };
        let modified = u64::try_from(stat.st_mtime)
            .ok()
            .and_then(|seconds| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds)));
        Facts {
            kind,
            owner: stat.st_uid,
            mode: u32::from(stat.st_mode) & 0o7777,
            modified,
        }
    }

    impl Directory {
        /// Opens the directory at `path`; fails with `ELOOP` or `ENOTDIR`
        /// when its last component is a link (see [`Directory::is_link`]).
        pub(crate) fn open(path: &Path) -> io::Result<Self> {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let handle = File::from(rustix::fs::open(path, flags, Mode::empty())?);
            Ok(Self {
                handle,
                path: path.to_path_buf(),
            })
        }

        /// Whether `path`'s last component is a symbolic link.
        pub(crate) fn is_link(path: &Path) -> bool {
            std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
        }

        /// Facts about the open directory itself.
        pub(crate) fn facts(&self) -> io::Result<Facts> {
            Ok(facts(&rustix::fs::fstat(&self.handle)?))
        }

        /// Facts about `name` (not following a link), `None` if absent.
        pub(crate) fn entry(&self, name: &OsStr) -> io::Result<Option<Facts>> {
            match rustix::fs::statat(&self.handle, name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => Ok(Some(facts(&stat))),
                Err(rustix::io::Errno::NOENT) => Ok(None),
                Err(errno) => Err(errno.into()),
            }
        }

        /// Opens `name`, never following a link and never waiting on a
        /// FIFO; created files get mode 0600.
        pub(crate) fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
            let base = OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let flags = match access {
                Access::Read => OFlags::RDONLY,
                Access::CreateOrOpen => OFlags::RDWR | OFlags::CREATE,
                Access::CreateNew => OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            };
            let mode = Mode::RUSR | Mode::WUSR;
            Ok(File::from(rustix::fs::openat(
                &self.handle,
                name,
                base | flags,
                mode,
            )?))
        }

        /// Facts about an open file.
        pub(crate) fn file_facts(file: &File) -> io::Result<Facts> {
            Ok(facts(&rustix::fs::fstat(file)?))
        }

        /// Renames `from` to `to`, both in this directory (`to` replaced
        /// atomically; a link at `to` is replaced, never followed).
        pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::renameat(&self.handle, from, &self.handle, to)?)
        }

        /// Removes the file `name`.
        pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.handle, name, AtFlags::empty())?)
        }

        /// The names in the directory.
        pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
            let mut names = Vec::new();
            for entry in rustix::fs::Dir::read_from(&self.handle)? {
                let entry = entry?;
                names.push(OsStr::from_bytes(entry.file_name().to_bytes()).to_owned());
            }
            Ok(names)
        }

        /// Makes a rename durable; best effort.
        pub(crate) fn sync(&self) {
            let _ = rustix::fs::fsync(&self.handle);
        }
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::{self, Metadata, OpenOptions};

    use super::*;

    // Windows: no `openat`; paths are used, and ACLs decide who may write.
    fn facts(metadata: &Metadata) -> Facts {
        let kind = if metadata.file_type().is_symlink() {
            Kind::SymbolicLink
        } else if metadata.is_file() {
            Kind::RegularFile
        } else if metadata.is_dir() {
            Kind::Directory
        } else {
            Kind::Other
        };
        Facts {
            kind,
            owner: 0,
            mode: 0,
            modified: metadata.modified().ok(),
        }
    }

    impl Directory {
        pub(crate) fn open(path: &Path) -> io::Result<Self> {
            let metadata = fs::symlink_metadata(path)?;
            if !metadata.is_dir() {
                return Err(io::Error::from(io::ErrorKind::NotADirectory));
            }
            Ok(Self {
                path: path.to_path_buf(),
            })
        }

        pub(crate) fn is_link(path: &Path) -> bool {
            fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
        }

        pub(crate) fn facts(&self) -> io::Result<Facts> {
            Ok(facts(&fs::symlink_metadata(&self.path)?))
        }

        pub(crate) fn entry(&self, name: &OsStr) -> io::Result<Option<Facts>> {
            match fs::symlink_metadata(self.path.join(name)) {
                Ok(metadata) => Ok(Some(facts(&metadata))),
                Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(error),
            }
        }

        pub(crate) fn open_file(&self, name: &OsStr, access: Access) -> io::Result<File> {
            let mut options = OpenOptions::new();
            match access {
                Access::Read => options.read(true),
                Access::CreateOrOpen => options.read(true).write(true).create(true),
                Access::CreateNew => options.write(true).create_new(true),
            };
            options.open(self.path.join(name))
        }

        pub(crate) fn file_facts(file: &File) -> io::Result<Facts> {
            Ok(facts(&file.metadata()?))
        }

        pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
            fs::rename(self.path.join(from), self.path.join(to))
        }

        pub(crate) fn remove(&self, name: &OsStr) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }

        pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
            fs::read_dir(&self.path)?
                .map(|entry| entry.map(|entry| entry.file_name()))
                .collect()
        }

        pub(crate) fn sync(&self) {}
    }
}
