//! [`UntrustedTls`]: a loopback HTTPS listener whose self-signed
//! certificate no client trusts by default, for tests of how a client
//! reports the certificate it refused.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS listener on a loopback port, serving a self-signed certificate
/// for `localhost` and `127.0.0.1`. Each connection gets a handshake (which
/// a client that does not trust the certificate aborts) and is closed: no
/// HTTP is ever answered. The listener lives until the process ends.
#[derive(Debug)]
pub struct UntrustedTls {
    addr: SocketAddr,
    certificate_pem: String,
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
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Ok(mut connection) = rustls::ServerConnection::new(Arc::clone(&config)) else {
                    continue;
                };
                // The client refuses the certificate: the handshake fails,
                // which is the point.
                let _ = connection.complete_io(&mut stream);
            }
        });
        Ok(Self {
            addr,
            certificate_pem: generated.cert.pem(),
        })
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
