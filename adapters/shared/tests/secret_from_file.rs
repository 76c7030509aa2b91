//! `REVAULT_API_KEY_SECRET_FILE`: the API key secret read from a private
//! file (one trailing newline and a byte order mark trimmed), used when
//! `REVAULT_API_KEY_SECRET` is unset; both set is a configuration error.
//! A file that cannot be used is named, its content never shown.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use revault_auth_core::{
    ConfigError, ENV_API_KEY_ID, ENV_API_KEY_SECRET, ENV_API_KEY_SECRET_FILE, ENV_API_URL,
    ENV_WORKSPACE,
};
use revault_auth_shared::env::{api_key_secret_from_vars, config_from_vars};
use revault_auth_shared::secret_file::{MAX_SECRET_FILE_BYTES, read_secret_file};

const SECRET: &str = "zz-file-secret-5be1c0";

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
        .collect();
    move |name| map.get(name).cloned()
}

fn private_file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path.to_str().expect("UTF-8 path").to_owned()
}

fn base<'a>(secret: (&'a str, &'a str)) -> Vec<(&'a str, &'a str)> {
    vec![
        (ENV_API_URL, "https://revault.invalid/v1/rest"),
        (ENV_WORKSPACE, "workspace"),
        (ENV_API_KEY_ID, "key-id"),
        secret,
    ]
}

#[test]
fn the_secret_file_is_used_when_the_secret_variable_is_unset() {
    let dir = tempfile::tempdir().expect("dir");
    let path = private_file(dir.path(), "secret", format!("{SECRET}\n").as_bytes());
    let lookup = vars(&base((ENV_API_KEY_SECRET_FILE, &path)));

    let found = api_key_secret_from_vars(&lookup)
        .expect("read")
        .expect("a secret");
    assert_eq!(
        found.secret().expose_secret(),
        SECRET,
        "one newline trimmed"
    );
    let config = config_from_vars(&lookup).expect("builder").build();
    assert!(config.is_ok(), "{config:?}");
}

#[test]
fn one_crlf_and_a_byte_order_mark_are_trimmed_not_more() {
    let dir = tempfile::tempdir().expect("dir");
    let path = private_file(
        dir.path(),
        "secret",
        format!("\u{feff}{SECRET}\n\r\n").as_bytes(),
    );
    let found = read_secret_file(Path::new(&path)).expect("read");
    assert_eq!(found.secret().expose_secret(), format!("{SECRET}\n"));
}

#[test]
fn both_the_secret_and_its_file_set_is_refused_naming_both() {
    let dir = tempfile::tempdir().expect("dir");
    let path = private_file(dir.path(), "secret", SECRET.as_bytes());
    let mut pairs = base((ENV_API_KEY_SECRET_FILE, &path));
    pairs.push((ENV_API_KEY_SECRET, "env-secret"));

    let error = config_from_vars(vars(&pairs)).expect_err("both set");
    assert!(matches!(error, ConfigError::Conflicting(..)), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(ENV_API_KEY_SECRET_FILE), "{text}");
    assert!(
        text.contains(&format!("{ENV_API_KEY_SECRET} and")),
        "{text}"
    );
    assert!(
        !text.contains("env-secret") && !text.contains(SECRET),
        "{text}"
    );
}

#[test]
fn a_missing_secret_file_is_named_without_content() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("absent-secret");
    let path = path.to_str().expect("UTF-8");
    let error =
        config_from_vars(vars(&base((ENV_API_KEY_SECRET_FILE, path)))).expect_err("missing file");
    let text = error.to_string();
    assert!(text.contains("absent-secret"), "{text}");
    assert!(text.contains(ENV_API_KEY_SECRET_FILE), "{text}");
}

#[test]
fn an_unreadable_secret_file_never_shows_its_content() {
    let dir = tempfile::tempdir().expect("dir");
    // Not UTF-8: the file is refused, and what it holds is never echoed.
    let mut bytes = SECRET.as_bytes().to_vec();
    bytes.push(0xff);
    let path = private_file(dir.path(), "binary-secret", &bytes);
    let error = read_secret_file(Path::new(&path)).expect_err("not UTF-8");
    let text = format!("{error} {error:?}");
    assert!(text.contains("binary-secret"), "{text}");
    assert!(!text.contains(SECRET), "{text}");
}

#[cfg(unix)]
#[test]
fn a_fifo_secret_file_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("secret.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let (sent, received) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let started = Instant::now();
        let _ = sent.send((read_secret_file(&path).map(|_| ()), started.elapsed()));
    });
    let (result, took) = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the read returned instead of waiting on the FIFO");
    let error = result.expect_err("a FIFO is refused");
    assert!(error.to_string().contains("not a regular file"), "{error}");
    eprintln!("figure: FIFO refused in {took:?}");
}

#[test]
fn an_oversized_secret_file_is_refused_not_cut() {
    let dir = tempfile::tempdir().expect("dir");
    let limit = usize::try_from(MAX_SECRET_FILE_BYTES).expect("fits");
    let path = private_file(dir.path(), "huge-secret", &vec![b'k'; limit + 1]);
    let error = read_secret_file(Path::new(&path)).expect_err("too large");
    assert!(error.to_string().contains("larger than 64 KiB"), "{error}");
    let at_limit = private_file(dir.path(), "at-limit", &vec![b'k'; limit]);
    assert!(read_secret_file(Path::new(&at_limit)).is_ok());
}

#[cfg(unix)]
#[test]
fn a_secret_file_open_to_others_is_used_and_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let path = private_file(dir.path(), "open-secret", SECRET.as_bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let found = read_secret_file(Path::new(&path)).expect("used");
    let warning = found.warning().expect("a warning");
    assert!(
        warning.contains("open-secret") && warning.contains("0644"),
        "{warning}"
    );
    assert!(!warning.contains(SECRET));
    let private = private_file(dir.path(), "private-secret", SECRET.as_bytes());
    assert!(
        read_secret_file(Path::new(&private))
            .expect("used")
            .warning()
            .is_none()
    );
}

/// Kubernetes mounts each key of a Secret as a link into `..data/`: the
/// file the variable names is read through its link, and must still be a
/// regular file at the end of it.
#[cfg(unix)]
#[test]
fn a_secret_file_mounted_through_a_link_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("..data")).expect("data dir");
    private_file(&dir.path().join("..data"), "secret", SECRET.as_bytes());
    let link = dir.path().join("secret");
    std::os::unix::fs::symlink("..data/secret", &link).expect("link");
    let found = read_secret_file(&link).expect("read");
    assert_eq!(found.secret().expose_secret(), SECRET);
}
