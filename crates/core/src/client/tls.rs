//! The one place a profile's TLS settings (extra CA, skip-verify) become a rustls
//! [`ClientConfig`](rustls::ClientConfig), shared by the HTTP client, the tunnel's WebSocket,
//! detect and the webserver login; and the one place a TLS failure becomes [`Error::Tls`].

use std::error::Error as StdError;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::config::TlsOptions;
use crate::error::Error;

/// The process's crypto provider (ring). reqwest and tokio-tungstenite are built without one,
/// so it is installed once; another part of the program may have installed one first.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            let _already_installed = rustls::crypto::ring::default_provider().install_default();
            Arc::new(rustls::crypto::ring::default_provider())
        })
        .clone()
}

/// Parse a PEM bundle of CA certificates; errors say what to do.
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidInput {
            field: "CA certificate".into(),
            reason: format!("it is not a PEM certificate ({e}); export it as PEM (.crt/.pem)"),
        })?;
    if certs.is_empty() {
        return Err(Error::InvalidInput {
            field: "CA certificate".into(),
            reason: "the PEM file holds no certificate; export the CA as PEM (.crt/.pem)".into(),
        });
    }
    Ok(certs)
}

/// The rustls client configuration for `tls`: the system's trust store plus the profile's CA,
/// or no verification at all when the profile opted into skip-verify. No ALPN is set (a
/// WebSocket upgrade needs HTTP/1.1); the HTTP client adds its own on a copy.
pub fn rustls_config(tls: &TlsOptions) -> Result<Arc<rustls::ClientConfig>, Error> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| setup_error(e.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = if tls.accept_invalid_certs {
        Arc::new(NoVerification(provider))
    } else {
        let extra = match &tls.ca_cert_pem {
            Some(pem) => parse_ca_pem(pem)?,
            None => Vec::new(),
        };
        Arc::new(
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
                .map_err(|e| setup_error(format!("cannot load the trusted CAs: {e}")))?,
        )
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn setup_error(detail: String) -> Error {
    Error::InvalidInput {
        field: "TLS settings".into(),
        reason: detail,
    }
}

/// Skip-verify: any certificate is accepted, but the handshake signatures are still checked
/// (so the peer holds the key of the certificate it showed).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// If `err` (or anything in its source chain) is a TLS failure, the [`Error::Tls`] for it.
/// Used for HTTP calls and the tunnel's WebSocket alike, so both say the same thing.
pub fn tls_failure(err: &(dyn StdError + 'static), url: &str) -> Option<Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls_error(url.to_owned(), tls.to_string()));
        }
        // io::Error::source() skips the wrapped error itself, so look inside explicitly.
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(tls) = inner.downcast_ref::<rustls::Error>()
        {
            return Some(tls_error(url.to_owned(), tls.to_string()));
        }
        current = e.source();
    }
    None
}

/// Build [`Error::Tls`] from rustls's words, naming the problem so a user can act on it
/// (connectors sometimes pass rustls errors on as text only, so text is what is read).
pub(crate) fn tls_error(url: String, detail: String) -> Error {
    Error::Tls {
        url,
        detail: describe(&detail),
    }
}

fn describe(detail: &str) -> String {
    const PROBLEMS: &[(&[&str], &str)] = &[
        (
            &["UnknownIssuer"],
            "the server's certificate is signed by an unknown CA (unknown issuer)",
        ),
        (
            &["BadSignature"],
            "the server's certificate does not verify against the trusted CAs (unknown issuer or a bad signature)",
        ),
        (
            &["NotValidForName"],
            "the server's certificate does not match its host name (name mismatch)",
        ),
        (&["Expired"], "the server's certificate has expired"),
        (
            &["NotValidYet"],
            "the server's certificate is not valid yet (check this computer's clock)",
        ),
        (&["Revoked"], "the server's certificate has been revoked"),
        (
            &["InvalidContentType", "corrupt message"],
            "the server does not speak TLS here (try http:// instead of https://)",
        ),
    ];
    for (words, meaning) in PROBLEMS {
        if words.iter().any(|w| detail.contains(w)) {
            return format!("{meaning} [{detail}]");
        }
    }
    detail.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_pem_is_refused_with_advice() {
        let e = rustls_config(&TlsOptions {
            ca_cert_pem: Some(b"not a certificate".to_vec()),
            accept_invalid_certs: false,
        })
        .unwrap_err();
        assert_eq!(e.code(), "invalid-input");
        assert!(e.to_string().contains("PEM"), "{e}");
    }

    #[test]
    fn unknown_issuer_is_named() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let e = tls_failure(&io, "https://x/").expect("a TLS failure");
        assert_eq!(e.code(), "tls-failure");
        assert!(!e.is_transient());
        let msg = e.to_string();
        assert!(msg.contains("unknown issuer"), "{msg}");
        assert!(msg.contains("--ca-cert"), "{msg}");
    }

    #[test]
    fn each_problem_is_named() {
        use rustls::CertificateError as C;
        for (err, words) in [
            (C::UnknownIssuer, "unknown issuer"),
            (C::NotValidForName, "name mismatch"),
            (C::Expired, "expired"),
            (C::NotValidYet, "clock"),
            (C::BadSignature, "unknown issuer"),
        ] {
            let e = tls_failure(&rustls::Error::InvalidCertificate(err), "https://x/")
                .expect("a TLS failure");
            assert!(e.to_string().contains(words), "{e}");
        }
        let e = tls_error("https://x/".into(), "received corrupt message".into());
        assert!(e.to_string().contains("try http://"), "{e}");
    }

    #[test]
    fn other_errors_are_not_tls() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(tls_failure(&io, "https://x/").is_none());
    }
}
