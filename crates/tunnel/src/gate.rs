//! Admission of a new connection: read its first request head (bounded), check `Host` and the
//! launch secret, and either admit it (with the bytes read so far) or answer it.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::auth::{AUTH_PATH, Access};
use crate::pages;

/// What to do with a new connection.
#[derive(Debug)]
pub enum Verdict {
    /// Relay it; these bytes (the head, maybe more) were read and must go first.
    Admit(Vec<u8>),
    /// Answer with this response, then close. `refused` counts it as rejected.
    Reply { response: Vec<u8>, refused: bool },
    /// Nothing useful arrived (closed, or too slow): just close.
    Close,
}

const MAX_HEADERS: usize = 128;

/// Read the first head and decide.
pub async fn admit<R: AsyncRead + Unpin>(
    sock: &mut R,
    access: &Access,
    start_path: &str,
    max_head: usize,
    timeout: Duration,
) -> Verdict {
    let mut buf = Vec::with_capacity(4096);
    let read = tokio::time::timeout(timeout, async {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf) {
                Ok(httparse::Status::Complete(_)) => return Some(decide(&req, access, start_path)),
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => return Some(too_large()),
                Err(_) => {
                    return Some(Verdict::Reply {
                        response: pages::bad_request(),
                        refused: true,
                    });
                }
            }
            if buf.len() >= max_head {
                return Some(too_large());
            }
            let room = (max_head - buf.len()).min(16 * 1024);
            let start = buf.len();
            buf.resize(start + room, 0);
            match sock.read(&mut buf[start..]).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.truncate(start + n),
            }
        }
    })
    .await;
    match read {
        Ok(Some(Verdict::Admit(_))) => Verdict::Admit(buf),
        Ok(Some(v)) => v,
        Ok(None) | Err(_) => Verdict::Close,
    }
}

fn too_large() -> Verdict {
    Verdict::Reply {
        response: pages::head_too_large(),
        refused: true,
    }
}

fn decide(req: &httparse::Request<'_, '_>, access: &Access, start_path: &str) -> Verdict {
    let refuse = |reason: &str| Verdict::Reply {
        response: pages::forbidden(&pages::escape(reason)),
        refused: true,
    };
    let header = |name: &'static str| {
        req.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    let hosts: Vec<&[u8]> = header("host").collect();
    if hosts.len() != 1 || !access.host_allowed(hosts[0]) {
        return refuse("The request named another host, which this tunnel does not serve.");
    }
    let path = req.path.unwrap_or("/");
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    if route == AUTH_PATH {
        let token = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .unwrap_or("");
        if access.token_matches(token) {
            return Verdict::Reply {
                response: pages::auth_redirect(start_path, access.set_cookie().expose()),
                refused: false,
            };
        }
        return refuse("The link is not valid for this tunnel.");
    }
    if access.cookie_matches(header("cookie")) {
        Verdict::Admit(Vec::new())
    } else {
        refuse("The request did not carry this launch's secret.")
    }
}
