//! Shared by the hostile-input CLI tests: private directories, file modes
//! and a scripted raw HTTP server.
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A private (0700) directory and a cache path in it.
pub fn private_cache() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("tok.json");
    (dir, path)
}

pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut sibling = path.as_os_str().to_owned();
    sibling.push(suffix);
    PathBuf::from(sibling)
}

pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// One request as the scripted server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A raw HTTP/1.1 server on 127.0.0.1 answering every request with what
/// `answer` returns (a full response: status line, headers, body; the
/// server adds `Content-Length` and `Connection: close`). Runs on a std
/// thread for the test's lifetime; keeps every request it read.
pub struct Scripted {
    pub base_url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

/// `(status line, extra header lines, body)`.
pub type Answer = (&'static str, Vec<String>, String);

impl Scripted {
    pub fn start(answer: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_url = format!("http://{}/v1/rest", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if let Some(request) = read_request(&stream) {
                    log.lock().expect("log").push(request.clone());
                    let (status, headers, body) = answer(&request);
                    let mut response = format!("HTTP/1.1 {status}\r\n");
                    for header in headers {
                        response.push_str(&header);
                        response.push_str("\r\n");
                    }
                    response.push_str(&format!(
                        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    ));
                    let mut stream = stream;
                    let _ = stream.write_all(response.as_bytes());
                }
            }
        });
        Self { base_url, requests }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("log").clone()
    }

    pub fn count(&self, path_suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|request| request.path.ends_with(path_suffix))
            .count()
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// A JWT-shaped access token (header `{"alg":"none"}`), as a scripted
/// server hands out.
pub const SCRIPTED_ACCESS_TOKEN: &str =
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzY3JpcHRlZCJ9.c2NyaXB0ZWQtc2lnbmF0dXJlLTQy";
pub const SCRIPTED_REFRESH_TOKEN: &str = "zz-scripted-refresh-token-91ab";

/// A 200 token answer with the scripted tokens.
pub fn token_answer() -> Answer {
    (
        "200 OK",
        vec!["content-type: application/json".to_owned()],
        format!(
            r#"{{"accessToken":"{SCRIPTED_ACCESS_TOKEN}","expiresInSeconds":300,"refreshToken":"{SCRIPTED_REFRESH_TOKEN}","refreshExpiresInSeconds":1800}}"#
        ),
    )
}

/// A JSON answer with `status`.
pub fn json_answer(status: &'static str, body: String) -> Answer {
    (
        status,
        vec!["content-type: application/json".to_owned()],
        body,
    )
}
