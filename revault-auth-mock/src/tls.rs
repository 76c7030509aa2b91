//! [`UntrustedTls`]: a loopback HTTPS listener whose self-signed
//! certificate no client trusts by default, for tests of how a client
//! reports the certificate it refused, and of a client told to trust it.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS listener on a loopback port, serving a self-signed certificate
/// for `localhost` and `127.0.0.1`. Each connection gets a handshake (which
/// a client that does not trust the certificate aborts); once one
/// completes, the first request on it is answered 404 and the connection
/// closed. The listener lives until the process ends.
#[derive(Debug)]
pub struct UntrustedTls {
    addr: SocketAddr,
    certificate_pem: String,
    handshakes: Arc<AtomicUsize>,
}

impl UntrustedTls {
    /// Generates the certificate and starts listening on a thread.
    pub fn start() -> io::Result<Self> {
        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .map_err(io::Error::other)?;
        let certificate = CertificateDer::from(generated.cert.der().to_vec());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            generated.signing_key.serialize_der(),
        ));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(vec![certificate], key)
            .map_err(io::Error::other)?;
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let handshakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&handshakes);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // A client that refuses the certificate ends the handshake.
                let _ = serve(&config, stream, &counted);
            }
        });
        Ok(Self {
            addr,
            certificate_pem: generated.cert.pem(),
            handshakes,
        })
    }

    /// How many TLS handshakes completed: clients that trusted the
    /// certificate.
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The certificate, PEM-encoded (to trust it, say through
    /// `SSL_CERT_FILE`).
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }
}

/// One connection: the handshake, then one request read to its end and
/// answered 404.
fn serve(
    config: &Arc<rustls::ServerConfig>,
    mut stream: TcpStream,
    handshakes: &AtomicUsize,
) -> io::Result<()> {
    let mut connection =
        rustls::ServerConnection::new(Arc::clone(config)).map_err(io::Error::other)?;
    while connection.is_handshaking() {
        connection.complete_io(&mut stream)?;
    }
    handshakes.fetch_add(1, Ordering::SeqCst);
    let mut tls = rustls::StreamOwned::new(connection, stream);
    let mut request = Vec::new();
    let mut chunk = [0_u8; 4096];
    let body_at = loop {
        let read = tls.read(&mut chunk)?;
        if read == 0 {
            return Ok(());
        }
        request.extend_from_slice(&chunk[..read]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..body_at]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < body_at + length {
        let read = tls.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&chunk[..read]);
    }
    tls.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
    tls.flush()?;
    tls.conn.send_close_notify();
    tls.flush()
}
