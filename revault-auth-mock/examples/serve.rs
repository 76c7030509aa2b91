//! Runs the Revault auth emulator until killed.
//!
//! ```text
//! cargo run -p revault-auth-mock --example serve -- [--port N] [--access-ttl SECS]
//!     [--refresh-ttl SECS] [--workspace W] [--api-key-id ID] [--api-key-secret S]
//! ```
//!
//! The first line printed on stdout is the base URL, e.g. `http://127.0.0.1:41234/v1/rest`.

use std::io::Write as _;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use revault_auth_mock::{BASE_PATH, MockConfig, MockState};

const USAGE: &str = "usage: serve [--port N] [--access-ttl SECS] [--refresh-ttl SECS] \
                     [--workspace W] [--api-key-id ID] [--api-key-secret S]";

fn parse_ttl(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{flag}: expected a non-negative number of seconds, got {value:?}"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<MockConfig>, String> {
    let mut cfg = MockConfig::default();
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name}: missing value"))
        };
        match name.as_str() {
            "--port" => {
                let v = value()?;
                cfg.port = v
                    .parse()
                    .map_err(|_| format!("--port: expected a port number, got {v:?}"))?;
            }
            "--access-ttl" => cfg.access_ttl = parse_ttl("--access-ttl", &value()?)?,
            "--refresh-ttl" => cfg.refresh_ttl = parse_ttl("--refresh-ttl", &value()?)?,
            "--workspace" => cfg.workspace = value()?,
            "--api-key-id" => cfg.api_key_id = value()?,
            "--api-key-secret" => cfg.api_key_secret = value()?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(cfg))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cfg = match parse_args(std::env::args().skip(1)) {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("serve: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(error) = cfg.validate() {
        eprintln!("serve: {error}\n{USAGE}");
        return ExitCode::from(2);
    }
    let listener = match tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, cfg.port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("serve: cannot bind 127.0.0.1:{}: {error}", cfg.port);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => {
            eprintln!("serve: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "http://{addr}{BASE_PATH}");
    let _ = stdout.flush();
    eprintln!(
        "serve: workspace {:?}, api key id {:?}, access ttl {:?}, refresh ttl {:?}",
        cfg.workspace, cfg.api_key_id, cfg.access_ttl, cfg.refresh_ttl
    );
    match revault_auth_mock::serve(listener, MockState::new(cfg)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("serve: {error}");
            ExitCode::FAILURE
        }
    }
}
