//! Where the store connects and with which credentials: the URL checked
//! (TLS for any host off loopback, certificate checks on), the password
//! taken from the URL or from a file, and the URL as errors and `Debug`
//! show it (without the password).

use std::fs::File;
use std::io::{self, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use url::{Host, Url};
use zeroize::Zeroizing;

/// The environment variable naming a file that holds the Redis password,
/// read by [`RedisStore::connect`](crate::RedisStore::connect) when the
/// URL carries none.
pub const PASSWORD_FILE_VAR: &str = "REVAULT_REDIS_PASSWORD_FILE";

/// Largest password file read: a password is a line, not a document.
const MAX_PASSWORD_FILE_BYTES: u64 = 4096;

/// Why a Redis URL or its password file was refused. No variant carries
/// the password: URLs are shown without it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not a URL this store connects to.
    #[error("not a usable Redis URL ({reason}): {shown}")]
    InvalidUrl {
        /// The URL without its password (`<unparsable>` when it could
        /// not be parsed at all).
        shown: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A `redis://` URL naming a host that is not this one: the store
    /// holds live refresh tokens, which must not cross a network in clear.
    #[error(
        "refusing {shown}: a Redis server off this host must be reached with rediss:// (TLS), \
         the store holds live refresh tokens"
    )]
    TlsRequired {
        /// The URL without its password.
        shown: String,
    },
    /// The password file could not be read, or holds no password.
    #[error("cannot read the Redis password file {}: {source}", path.display())]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// What went wrong (never the file's contents).
        #[source]
        source: io::Error,
    },
}

/// A checked URL and the password in effect.
pub(crate) struct Target {
    /// The URL handed to the Redis client (with the URL's own password,
    /// if any).
    pub(crate) url: Zeroizing<String>,
    /// The password from the file, when the URL carries none.
    pub(crate) file_password: Option<Zeroizing<String>>,
    /// The URL without any password, for errors and `Debug`.
    pub(crate) shown: String,
}

impl Target {
    /// Checks `url`; takes the password from `password_file` when the URL
    /// carries none.
    pub(crate) fn parse(url: &str, password_file: Option<&Path>) -> Result<Self, ConfigError> {
        let parsed = Url::parse(url.trim()).map_err(|_| ConfigError::InvalidUrl {
            shown: "<unparsable>".to_owned(),
            reason: "it cannot be parsed as a URL",
        })?;
        let shown = without_password(&parsed);
        let invalid = |reason| ConfigError::InvalidUrl {
            shown: shown.clone(),
            reason,
        };
        let tls = match parsed.scheme() {
            "redis" => false,
            "rediss" => true,
            _ => return Err(invalid("the scheme must be redis:// or rediss://")),
        };
        let host = parsed.host().ok_or_else(|| invalid("it names no host"))?;
        if parsed.fragment().is_some() {
            // `#insecure` would turn certificate checks off.
            return Err(invalid("a fragment (such as #insecure) is not accepted"));
        }
        if !tls && !is_loopback(&host) {
            return Err(ConfigError::TlsRequired { shown });
        }
        let file_password = match (parsed.password(), password_file) {
            (None, Some(path)) => Some(read_password_file(path)?),
            _ => None,
        };
        Ok(Self {
            url: Zeroizing::new(parsed.to_string()),
            file_password,
            shown,
        })
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        // redis:// is not a scheme the URL standard knows: its IPv4
        // hosts stay text. Anything but an exact address or `localhost`
        // counts as another host (and needs TLS).
        Host::Domain(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// `url` with its password removed (the user name stays: it is not a
/// secret, and tells which ACL user was used).
fn without_password(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Cannot fail: a URL with a password has a host.
        let _ = shown.set_password(None);
    }
    shown.to_string()
}

/// The file's first line, read into memory that is wiped when dropped.
/// Only a trailing newline is trimmed: any other character is part of the
/// password.
fn read_password_file(path: &Path) -> Result<Zeroizing<String>, ConfigError> {
    let refused = |source| ConfigError::PasswordFile {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(refused)?;
    let mut bytes = Zeroizing::new(Vec::new());
    file.take(MAX_PASSWORD_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(refused)?;
    if bytes.len() as u64 > MAX_PASSWORD_FILE_BYTES {
        return Err(refused(io::Error::new(
            io::ErrorKind::InvalidData,
            "larger than a password",
        )));
    }
    let mut end = bytes.len();
    if bytes[..end].ends_with(b"\n") {
        end -= 1;
        if bytes[..end].ends_with(b"\r") {
            end -= 1;
        }
    }
    let text = std::str::from_utf8(&bytes[..end])
        .map_err(|_| refused(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8")))?;
    if text.is_empty() {
        return Err(refused(io::Error::new(
            io::ErrorKind::InvalidData,
            "it holds no password",
        )));
    }
    Ok(Zeroizing::new(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_may_go_without_tls() {
        for url in [
            "redis://127.0.0.1:6379",
            "redis://127.8.9.1",
            "redis://localhost/2",
            "redis://[::1]:6379",
        ] {
            assert!(Target::parse(url, None).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_hosts_need_tls() {
        for url in [
            "redis://10.0.0.5:6379",
            "redis://redis.internal",
            "redis://[fe80::1]",
        ] {
            assert!(
                matches!(
                    Target::parse(url, None),
                    Err(ConfigError::TlsRequired { .. })
                ),
                "{url}"
            );
        }
        assert!(Target::parse("rediss://redis.internal:6380", None).is_ok());
    }

    #[test]
    fn urls_that_are_not_redis_or_turn_checks_off_are_refused() {
        for url in [
            "http://127.0.0.1",
            "not a url",
            "rediss://redis.internal/#insecure",
            "redis+unix:///tmp/redis.sock",
        ] {
            assert!(
                matches!(
                    Target::parse(url, None),
                    Err(ConfigError::InvalidUrl { .. })
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn the_shown_url_has_no_password() {
        let target = Target::parse("redis://svc:zz-s3cret@127.0.0.1:6379/0", None).expect("url");
        assert_eq!(target.shown, "redis://svc@127.0.0.1:6379/0");
    }

    #[test]
    fn a_password_file_loses_one_trailing_newline_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("password");
        for (contents, expected) in [
            ("zz-pw\n", "zz-pw"),
            ("zz-pw\r\n", "zz-pw"),
            ("zz-pw", "zz-pw"),
            (" zz-pw \n\n", " zz-pw \n"),
        ] {
            std::fs::write(&path, contents).expect("write");
            let target = Target::parse("redis://127.0.0.1", Some(&path)).expect("parse");
            assert_eq!(
                target.file_password.as_deref().map(String::as_str),
                Some(expected)
            );
        }
        std::fs::write(&path, "\n").expect("write");
        assert!(matches!(
            Target::parse("redis://127.0.0.1", Some(&path)),
            Err(ConfigError::PasswordFile { .. })
        ));
        // The URL's own password wins: the file is not even read.
        let target = Target::parse("redis://:zz-url@127.0.0.1", Some(&dir.path().join("none")))
            .expect("parse");
        assert!(target.file_password.is_none());
    }
}
