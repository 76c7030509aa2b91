//! A loopback listener that records every byte sent to it: the proxy (or
//! server) of the tests that check what reaches a proxy. Shared by the
//! library's and the CLI's proxy tests (included by path).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Listens on a loopback port, records every byte each connection sends,
/// and answers `answer` after each request head (an empty `answer` sends
/// nothing back). Returns the port and the record.
pub(crate) fn capturing(answer: &'static str) -> (u16, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
            let mut buffer = [0u8; 4096];
            while let Ok(read) = stream.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                log.lock().expect("log").extend_from_slice(&buffer[..read]);
                if !answer.is_empty() && buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    let _ = stream.write_all(answer.as_bytes());
                }
            }
        }
    });
    (port, seen)
}
