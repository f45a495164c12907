//! The per-launch secret: a token in the auth URL, traded once for a cookie (a different value)
//! that every new connection must carry. Neither is ever logged.

use bai_secrets::Secret;
use rand::RngCore;

/// The path that trades the URL token for the cookie.
pub const AUTH_PATH: &str = "/__launcher/auth";

#[derive(Debug, Clone)]
pub struct Access {
    token: Secret,
    cookie: Secret,
    port: u16,
}

fn random_hex(bytes: usize) -> Secret {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    Secret::new(hex::encode(buf))
}

/// Compare without an early exit, so timing does not reveal how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Access {
    pub fn new(port: u16) -> Self {
        Access {
            token: random_hex(32),
            cookie: random_hex(32),
            port,
        }
    }

    /// Cookies are not scoped by port, so the name carries it: two tunnels never clash.
    pub fn cookie_name(&self) -> String {
        format!("bai_launcher_{}", self.port)
    }

    pub fn auth_url(&self) -> Secret {
        Secret::new(format!(
            "http://127.0.0.1:{}{AUTH_PATH}?token={}",
            self.port,
            self.token.expose()
        ))
    }

    pub fn token_matches(&self, candidate: &str) -> bool {
        same(candidate.as_bytes(), self.token.expose().as_bytes())
    }

    /// The `Set-Cookie` value handed out by the auth redirect.
    pub fn set_cookie(&self) -> Secret {
        Secret::new(format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/",
            self.cookie_name(),
            self.cookie.expose()
        ))
    }

    /// Whether any `Cookie` header value holds our cookie.
    pub fn cookie_matches<'a>(&self, cookie_headers: impl IntoIterator<Item = &'a [u8]>) -> bool {
        let name = self.cookie_name();
        let want = self.cookie.expose().as_bytes();
        cookie_headers.into_iter().any(|value| {
            value.split(|b| *b == b';').any(|pair| {
                let pair = pair.trim_ascii();
                match pair.iter().position(|b| *b == b'=') {
                    Some(i) => &pair[..i] == name.as_bytes() && same(&pair[i + 1..], want),
                    None => false,
                }
            })
        })
    }

    /// The `Host` values that name this listener (anything else may be DNS rebinding).
    pub fn host_allowed(&self, host: &[u8]) -> bool {
        let host = String::from_utf8_lossy(host).to_ascii_lowercase();
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_and_token_differ_and_match_only_themselves() {
        let a = Access::new(4242);
        assert_ne!(a.token.expose(), a.cookie.expose());
        assert!(a.token_matches(a.token.expose()));
        assert!(!a.token_matches(a.cookie.expose()));
        let good = format!("x=1; bai_launcher_4242={}", a.cookie.expose());
        assert!(a.cookie_matches([good.as_bytes()]));
        let other_port = format!("bai_launcher_4243={}", a.cookie.expose());
        assert!(!a.cookie_matches([other_port.as_bytes()]));
        let token_as_cookie = format!("bai_launcher_4242={}", a.token.expose());
        assert!(!a.cookie_matches([token_as_cookie.as_bytes()]));
        assert!(!format!("{a:?}").contains(a.cookie.expose()));
    }

    #[test]
    fn host_must_name_this_listener() {
        let a = Access::new(4242);
        assert!(a.host_allowed(b"127.0.0.1:4242"));
        assert!(a.host_allowed(b"LOCALHOST:4242"));
        assert!(!a.host_allowed(b"evil.example:4242"));
        assert!(!a.host_allowed(b"127.0.0.1:80"));
        assert!(!a.host_allowed(b"127.0.0.1"));
    }
}
