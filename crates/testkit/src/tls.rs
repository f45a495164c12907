//! HTTPS for the testkit: a private CA generated at start (rcgen), a server certificate it
//! signs for `127.0.0.1` and `localhost`, and a listener that does the TLS handshake in front
//! of the same axum routers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The private CA and the server identity it signed.
#[derive(Clone)]
pub struct TlsMaterial {
    /// The CA certificate (PEM): what a profile's "CA certificate" must hold to trust the kit.
    pub ca_pem: String,
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial").finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// A fresh CA and a server certificate for `127.0.0.1`, `::1` and `localhost`.
    pub fn generate() -> Result<TlsMaterial, String> {
        let err = |e: rcgen::Error| format!("cannot make the test certificates: {e}");
        let ca_key = KeyPair::generate().map_err(err)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        // A name of its own, as two real CAs have: a client trusting another one finds no
        // issuer of that name ("unknown issuer").
        let unique = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        ca.distinguished_name.push(
            DnType::CommonName,
            format!(
                "bai-testkit private CA {unique:x}-{}",
                rand::random::<u32>()
            ),
        );
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
        let issuer = Issuer::new(ca, ca_key);

        let key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::new(vec![
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
            "localhost".to_owned(),
        ])
        .map_err(err)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "bai-testkit");
        // Strict verifiers (Python 3.13's default `VERIFY_X509_STRICT`) want the issuer's key
        // named in the certificate.
        leaf.use_authority_key_identifier_extension = true;
        let leaf_cert = leaf.signed_by(&key, &issuer).map_err(err)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(leaf_cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .map_err(|e| format!("cannot use the test certificate: {e}"))?;
        Ok(TlsMaterial {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

/// An axum listener that hands out connections after their TLS handshake. Handshakes run in
/// their own tasks so that a client that fails (or stalls) one does not hold up the others.
#[derive(Debug)]
pub(crate) struct TlsListener {
    addr: SocketAddr,
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    pub(crate) fn new(listener: TcpListener, tls: &TlsMaterial) -> std::io::Result<TlsListener> {
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = tls.acceptor.clone();
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let ready = tx.clone();
                tokio::spawn(async move {
                    let handshake = acceptor.accept(tcp);
                    match tokio::time::timeout(Duration::from_secs(10), handshake).await {
                        Ok(Ok(stream)) => {
                            let _ = ready.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake from {peer} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake from {peer} timed out"),
                    }
                });
                if tx.is_closed() {
                    break;
                }
            }
        });
        Ok(TlsListener { addr, rx })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task only ends when this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}
