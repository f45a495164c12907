//! The per-launch secrets: single-use, short-lived tokens in auth URLs, each traded once for
//! the cookie (a different value) that every request must carry. None is ever logged.

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bai_secrets::Secret;
use rand::RngCore;
use tokio::time::Instant;

/// The path that trades a URL token for the cookie.
pub const AUTH_PATH: &str = "/__launcher/auth";

/// Tokens minted and not yet used, at most (older ones are dropped first).
const MAX_OUTSTANDING: usize = 16;

/// Every cookie name this launcher hands out starts with this; none reaches an app.
pub const COOKIE_PREFIX: &str = "bai_launcher_";

#[derive(Debug)]
pub struct Access {
    tokens: Mutex<Vec<(Secret, Instant)>>,
    lifetime: Duration,
    cookie: Secret,
    addr: SocketAddr,
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
    pub fn new(addr: SocketAddr, lifetime: Duration) -> Self {
        Access {
            tokens: Mutex::new(Vec::new()),
            lifetime,
            cookie: random_hex(32),
            addr,
        }
    }

    /// The name carries the port: where tunnels share an address, two never clash.
    pub fn cookie_name(&self) -> String {
        format!("{COOKIE_PREFIX}{}", self.addr.port())
    }

    /// `http://ADDR:PORT`, the only origin whose pages may call this tunnel.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new auth URL: its token works once, within the lifetime. Never log it.
    pub fn auth_url(&self) -> Secret {
        let token = random_hex(32);
        let url = format!("{}{AUTH_PATH}?token={}", self.origin(), token.expose());
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|(_, at)| at.elapsed() < self.lifetime);
        if tokens.len() >= MAX_OUTSTANDING {
            tokens.remove(0);
        }
        tokens.push((token, Instant::now()));
        Secret::new(url)
    }

    /// Spend a token: true once for a token minted within the lifetime, false ever after.
    pub fn redeem(&self, candidate: &str) -> bool {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.retain(|(_, at)| at.elapsed() < self.lifetime);
        match tokens
            .iter()
            .position(|(t, _)| same(candidate.as_bytes(), t.expose().as_bytes()))
        {
            Some(i) => {
                tokens.remove(i);
                true
            }
            None => false,
        }
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
        cookie_headers
            .into_iter()
            .any(|value| cookie_pairs(value).any(|(k, v)| k == name.as_bytes() && same(v, want)))
    }

    /// The `Host` values that name this listener (anything else may be DNS rebinding).
    pub fn host_allowed(&self, host: &[u8]) -> bool {
        let host = String::from_utf8_lossy(host).to_ascii_lowercase();
        host == self.addr.to_string()
            || (self.addr.ip() == std::net::Ipv4Addr::LOCALHOST
                && host == format!("localhost:{}", self.addr.port()))
    }
}

/// `name=value` pairs of one `Cookie` header value.
pub fn cookie_pairs(value: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    value.split(|b| *b == b';').filter_map(|pair| {
        let pair = pair.trim_ascii();
        let i = pair.iter().position(|b| *b == b'=')?;
        Some((pair[..i].trim_ascii(), pair[i + 1..].trim_ascii()))
    })
}

/// A `Cookie` header value without any of this launcher's cookies (None when nothing is left):
/// the app sees its own cookies and nobody's tunnel secret.
pub fn without_launcher_cookies(value: &[u8]) -> Option<Vec<u8>> {
    let kept: Vec<&[u8]> = value
        .split(|b| *b == b';')
        .map(<[u8]>::trim_ascii)
        .filter(|pair| !pair.is_empty() && !pair.starts_with(COOKIE_PREFIX.as_bytes()))
        .collect();
    (!kept.is_empty()).then(|| kept.join(&b"; "[..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> Access {
        Access::new("127.0.0.1:4242".parse().unwrap(), Duration::from_secs(60))
    }

    fn token_of(url: &Secret) -> String {
        url.expose().split("token=").nth(1).unwrap().to_owned()
    }

    #[test]
    fn a_token_works_once_and_never_as_the_cookie() {
        let a = access();
        let url = a.auth_url();
        assert!(
            url.expose()
                .starts_with("http://127.0.0.1:4242/__launcher/auth?token=")
        );
        let token = token_of(&url);
        assert_ne!(token, a.cookie.expose());
        assert!(a.redeem(&token));
        assert!(!a.redeem(&token), "a spent token is dead");
        let as_cookie = format!("bai_launcher_4242={token}");
        assert!(!a.cookie_matches([as_cookie.as_bytes()]));
        assert!(!format!("{a:?}").contains(a.cookie.expose()));
    }

    #[test]
    fn each_url_has_its_own_token_and_old_ones_expire() {
        let a = Access::new("127.0.0.1:4242".parse().unwrap(), Duration::from_millis(30));
        let (u1, u2) = (a.auth_url(), a.auth_url());
        assert_ne!(token_of(&u1), token_of(&u2));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!a.redeem(&token_of(&u1)), "expired");
        let u3 = a.auth_url();
        assert!(a.redeem(&token_of(&u3)));
    }

    #[test]
    fn outstanding_tokens_are_bounded() {
        let a = access();
        let first = a.auth_url();
        for _ in 0..MAX_OUTSTANDING {
            a.auth_url();
        }
        assert!(!a.redeem(&token_of(&first)));
    }

    #[test]
    fn the_cookie_matches_only_itself() {
        let a = access();
        let good = format!("x=1; bai_launcher_4242={}", a.cookie.expose());
        assert!(a.cookie_matches([good.as_bytes()]));
        let other_port = format!("bai_launcher_4243={}", a.cookie.expose());
        assert!(!a.cookie_matches([other_port.as_bytes()]));
    }

    #[test]
    fn host_must_name_this_listener() {
        let a = access();
        assert!(a.host_allowed(b"127.0.0.1:4242"));
        assert!(a.host_allowed(b"LOCALHOST:4242"));
        assert!(!a.host_allowed(b"localhost.:4242"));
        assert!(!a.host_allowed(b"evil.example:4242"));
        assert!(!a.host_allowed(b"127.0.0.1:80"));
        assert!(!a.host_allowed(b"127.0.0.1"));
        let own = Access::new("127.9.8.7:4242".parse().unwrap(), Duration::from_secs(1));
        assert!(own.host_allowed(b"127.9.8.7:4242"));
        assert!(
            !own.host_allowed(b"localhost:4242"),
            "localhost is 127.0.0.1, not ours"
        );
        assert!(!own.host_allowed(b"127.0.0.1:4242"));
    }

    #[test]
    fn launcher_cookies_are_removed_and_the_apps_kept() {
        let v = b"_xsrf=abc; bai_launcher_4242=s1;bai_launcher_9=s2 ; username-x=\"y\"";
        assert_eq!(
            without_launcher_cookies(v).as_deref(),
            Some(&b"_xsrf=abc; username-x=\"y\""[..])
        );
        assert_eq!(without_launcher_cookies(b"bai_launcher_1=a"), None);
    }
}
