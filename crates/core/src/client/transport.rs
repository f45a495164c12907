//! The HTTP client underneath, and the mapping of its failures (refused, DNS, TLS, timeout)
//! to errors a user can act on.

use std::error::Error as StdError;
use std::time::Duration;

use url::Url;

use super::config::ClientConfig;
use super::tls::{tls_error, tls_failure};
use crate::error::Error;

/// A reqwest client with the profile's timeouts, over `tls` (from [`super::tls::rustls_config`]).
pub(crate) fn http_client(
    config: &ClientConfig,
    tls: &rustls::ClientConfig,
) -> Result<reqwest::Client, Error> {
    let mut tls = tls.clone();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .user_agent(config.user_agent.clone())
        .connect_timeout(config.connect_timeout)
        // The whole-request timeout is set per request so that event streams can live on.
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| Error::Network {
            url: config.endpoint.to_string(),
            detail: format!("cannot set up the HTTP client: {e}"),
        })
}

/// Map a failed request to the most specific error, by walking the error's source chain.
pub(crate) fn map_transport_error(err: &reqwest::Error, url: &Url, timeout: Duration) -> Error {
    let shown_url = display_url(url);
    if err.is_timeout() {
        return Error::Timeout {
            url: shown_url,
            after: timeout,
        };
    }
    if let Some(tls) = tls_failure(err, &shown_url) {
        return tls;
    }
    let mut messages = Vec::new();
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    return Error::ConnectionRefused { url: shown_url };
                }
                std::io::ErrorKind::TimedOut => {
                    return Error::Timeout {
                        url: shown_url,
                        after: timeout,
                    };
                }
                _ => {}
            }
            // io::Error::source() skips the wrapped error itself, so look inside explicitly.
            if let Some(inner) = io.get_ref() {
                messages.push(inner.to_string());
            }
        }
        messages.push(e.to_string());
        current = e.source();
    }
    let all = messages.join(": ");
    let lower = all.to_ascii_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return Error::Dns {
            host: url.host_str().unwrap_or_default().to_owned(),
        };
    }
    // rustls errors do not always survive as a typed source (connectors stringify some), so
    // their messages are recognised too.
    const TLS_WORDS: &[&str] = &[
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "alert",
        "peer sent",
    ];
    if TLS_WORDS.iter().any(|w| lower.contains(w)) {
        return tls_error(shown_url, last_message(&messages));
    }
    Error::Network {
        url: shown_url,
        detail: last_message(&messages),
    }
}

fn last_message(messages: &[String]) -> String {
    messages
        .last()
        .cloned()
        .unwrap_or_else(|| "unknown error".into())
}

/// The URL without its query (which may carry app arguments) for error messages.
pub(crate) fn display_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}
