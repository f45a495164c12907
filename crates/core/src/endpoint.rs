//! Endpoint URLs: parsing, normalisation, and the host line that signatures use.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::Error;

/// Which kind of server an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointKind {
    /// The manager API: every request is HMAC-signed with a keypair.
    Api,
    /// The web UI's server (`backend.ai-webserver`): email/password login, a login-session
    /// header or cookie, and manager paths behind `/func`.
    Webserver,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Api => "api",
            EndpointKind::Webserver => "webserver",
        }
    }
}

impl fmt::Display for EndpointKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EndpointKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "api" | "manager" | "keypair" => Ok(EndpointKind::Api),
            // "session" is what the official client calls webserver mode.
            "webserver" | "web" | "session" => Ok(EndpointKind::Webserver),
            other => Err(Error::InvalidInput {
                field: "kind".into(),
                reason: format!("unknown endpoint kind {other:?}; use \"api\" or \"webserver\""),
            }),
        }
    }
}

/// A normalised endpoint: http(s) scheme, lowercase host, no default port, no trailing slash,
/// no query, fragment or credentials. An optional path prefix (a manager behind a reverse
/// proxy at `/api`) is kept and signed as part of every path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    url: Url,
}

impl Endpoint {
    /// Parse what a user typed or pasted. A missing scheme means `https://`.
    pub fn parse(input: &str) -> Result<Self, Error> {
        let raw = input.trim();
        let bad = |reason: &str| Error::InvalidEndpoint {
            input: raw.to_owned(),
            reason: reason.to_owned(),
        };
        if raw.is_empty() {
            return Err(bad(
                "the endpoint is empty; enter a URL such as https://api.example.com",
            ));
        }
        if raw.chars().any(char::is_whitespace) {
            return Err(bad("a URL cannot contain spaces"));
        }
        let has_scheme = raw.contains("://");
        let with_scheme = if has_scheme {
            raw.to_owned()
        } else {
            format!("https://{raw}")
        };
        let mut url = Url::parse(&with_scheme).map_err(|e| bad(&describe_url_error(e)))?;
        // Without a scheme, a lone word such as `not-a-url` (or `https//host`, a typo) is far
        // more likely a mistake than a host on the local network, and `https://` in front of
        // it would only fail later as a DNS error. So a scheme-less address needs what a real
        // host has: a dot, `localhost`, an IP address or a port. With a scheme a one-word
        // host (`http://manager:8081` in a compose network) is taken as typed.
        if !has_scheme && !looks_like_a_host(&url, raw) {
            return Err(bad(
                "this is not a URL: write the server's address, e.g. https://api.example.com (a one-word host name needs the scheme, e.g. http://manager:8081)",
            ));
        }
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(bad(&format!(
                    "the scheme must be http or https, not {other:?}"
                )));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host name"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "the URL contains a user name or password; keep credentials out of the endpoint",
            ));
        }
        url.set_query(None);
        url.set_fragment(None);
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(Endpoint { url })
    }

    /// The base URL, e.g. `https://api.backend.ai` or `http://[::1]:8081/prefix`.
    pub fn as_url(&self) -> &Url {
        &self.url
    }

    /// The `host:` line of the string to sign: exactly the `Host` header the HTTP client sends
    /// (host, plus `:port` only when it is not the scheme's default; IPv6 in brackets).
    pub fn host_line(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        }
    }

    /// The path prefix with no trailing slash (empty for most endpoints).
    pub fn path_prefix(&self) -> &str {
        let p = self.url.path();
        if p == "/" { "" } else { p }
    }

    /// The origin alone (scheme, host, port): where detection retries when a pasted web UI
    /// address carries a page path such as `/summary`.
    pub fn origin(&self) -> Endpoint {
        let mut url = self.url.clone();
        url.set_path("");
        Endpoint { url }
    }

    /// Whether the endpoint uses TLS.
    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// Join an absolute API path (`/session`, `/events/session?x=y`) under this endpoint.
    pub fn join(&self, path_and_query: &str) -> Result<Url, Error> {
        let s = format!(
            "{}://{}{}{}",
            self.url.scheme(),
            self.host_line(),
            self.path_prefix(),
            path_and_query
        );
        Url::parse(&s).map_err(|e| Error::InvalidInput {
            field: "path".into(),
            reason: format!("cannot build a URL from {path_and_query:?}: {e}"),
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

impl FromStr for Endpoint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Endpoint::parse(s)
    }
}

/// The path and query of a URL exactly as an HTTP client writes them on the request line.
pub fn rel_url(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Whether a scheme-less address names a host the way people write one: a dotted name, an IP
/// address (IPv6 needs brackets, IPv4 has dots), `localhost`, or any host with a `:port`.
fn looks_like_a_host(url: &Url, raw: &str) -> bool {
    let authority = raw.split(['/', '?', '#']).next().unwrap_or_default();
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.contains('.') || d.eq_ignore_ascii_case("localhost") || authority.contains(':')
        }
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        None => false,
    }
}

fn describe_url_error(e: url::ParseError) -> String {
    use url::ParseError as P;
    match e {
        P::EmptyHost => "the URL has no host name".into(),
        P::InvalidPort => "the port is not a number between 1 and 65535".into(),
        P::InvalidIpv4Address => "the IPv4 address is malformed".into(),
        P::InvalidIpv6Address => {
            "the IPv6 address is malformed (write it in brackets: http://[::1]:8081)".into()
        }
        P::InvalidDomainCharacter => {
            "the host name contains a character that is not allowed".into()
        }
        other => format!("the URL is malformed ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str) -> Endpoint {
        Endpoint::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn drops_default_ports_and_trailing_slashes() {
        assert_eq!(
            ep("https://API.Backend.AI:443/").host_line(),
            "api.backend.ai"
        );
        assert_eq!(ep("http://127.0.0.1:80").host_line(), "127.0.0.1");
        assert_eq!(ep("http://127.0.0.1:8090/").host_line(), "127.0.0.1:8090");
        assert_eq!(ep("https://h:80").host_line(), "h:80");
        assert_eq!(
            ep("https://api.backend.ai/").to_string(),
            "https://api.backend.ai"
        );
    }

    #[test]
    fn keeps_ipv6_brackets() {
        let e = ep("http://[::1]:8081");
        assert_eq!(e.host_line(), "[::1]:8081");
        assert_eq!(
            e.join("/session").expect("joins").as_str(),
            "http://[::1]:8081/session"
        );
        assert_eq!(ep("https://[2001:db8::1]:443").host_line(), "[2001:db8::1]");
    }

    #[test]
    fn keeps_a_path_prefix_and_strips_query_and_fragment() {
        let e = ep("https://gw.example.com/backend/?x=1#frag");
        assert_eq!(e.path_prefix(), "/backend");
        assert_eq!(
            e.join("/events/session?sessionName=a%20b")
                .expect("joins")
                .as_str(),
            "https://gw.example.com/backend/events/session?sessionName=a%20b"
        );
        assert_eq!(e.origin().to_string(), "https://gw.example.com");
    }

    #[test]
    fn assumes_https_without_scheme() {
        assert_eq!(
            ep("cloud.backend.ai").to_string(),
            "https://cloud.backend.ai"
        );
        assert_eq!(ep("localhost:8090").host_line(), "localhost:8090");
        assert_eq!(ep("localhost").to_string(), "https://localhost");
        assert_eq!(ep("manager:8081").host_line(), "manager:8081");
        assert_eq!(ep("10.0.0.5").host_line(), "10.0.0.5");
        assert_eq!(ep("[::1]:8081").host_line(), "[::1]:8081");
        // With a scheme, a one-word host is taken as typed (a compose network's `manager`).
        assert_eq!(ep("http://manager").to_string(), "http://manager");
    }

    #[test]
    fn names_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("ftp://x.y", "scheme"),
            ("http://", "host"),
            ("http://a b", "spaces"),
            ("http://host:99999", "port"),
            ("http://[::1", "IPv6"),
            ("https://me:pw@host", "password"),
            ("not-a-url", "not a URL"),
            ("https//api.example.com", "not a URL"),
        ];
        for (input, needle) in cases {
            let err = Endpoint::parse(input).expect_err(input).to_string();
            assert!(err.contains(needle), "{input:?} → {err}");
        }
    }

    #[test]
    fn rel_url_is_path_and_query_as_sent() {
        let u = Url::parse(
            "http://h/stream/session/s/tcpproxy?app=jupyter&envs=%7B%22A%22:+%22a+b%22%7D",
        )
        .expect("parses");
        assert_eq!(
            rel_url(&u),
            "/stream/session/s/tcpproxy?app=jupyter&envs=%7B%22A%22:+%22a+b%22%7D"
        );
    }
}
