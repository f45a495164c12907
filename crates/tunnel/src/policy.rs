//! Admission of one request. Every request on every connection passes here (keep-alive,
//! pipelined, the WebSocket upgrade): the tunnel's app runs code as the user, so the app must
//! never be the only line of defence.

use http::header::{COOKIE, HOST, ORIGIN};
use http::{HeaderMap, Method, Uri};

use crate::auth::{AUTH_PATH, Access};

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Trade this token for the cookie.
    Auth(&'a str),
    /// Relay it to the app (with the launcher's cookies removed).
    Forward,
    /// 403, with this reason, and close the connection.
    Refuse(&'static str),
}

pub const FOREIGN_HOST: &str = "The request named another host, which this tunnel does not serve.";
pub const FOREIGN_ORIGIN: &str =
    "The request came from a page of another site, which may not use this tunnel.";
pub const NO_COOKIE: &str = "The request did not carry this launch's secret.";
pub const OTHER_USER: &str = "The connection came from a program of another user of this computer.";

fn one(headers: &HeaderMap, name: http::header::HeaderName) -> Option<&[u8]> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    values.next().is_none().then_some(first.as_bytes())
}

/// Decide on a request by its method, target and headers.
pub fn decide<'a>(
    method: &Method,
    uri: &'a Uri,
    headers: &HeaderMap,
    access: &Access,
) -> Decision<'a> {
    // Exactly one Host, naming this listener: anything else may be DNS rebinding.
    match one(headers, HOST) {
        Some(host) if access.host_allowed(host) => {}
        _ => return Decision::Refuse(FOREIGN_HOST),
    }
    if uri
        .authority()
        .is_some_and(|a| !access.host_allowed(a.as_str().as_bytes()))
    {
        return Decision::Refuse(FOREIGN_HOST);
    }
    // A page of another origin: refused whatever it asks (fetches, forms, WebSocket upgrades).
    // `null` (sandboxed frames, file: pages) is another origin too.
    if headers.contains_key(ORIGIN) {
        match one(headers, ORIGIN) {
            Some(o) if o.eq_ignore_ascii_case(access.origin().as_bytes()) => {}
            _ => return Decision::Refuse(FOREIGN_ORIGIN),
        }
    }
    // Browsers that send fetch metadata say where a request comes from even when it has no
    // Origin (no-cors GETs: scripts, images, frames). From another site only a top-level
    // navigation may come: a link the user followed, never a subresource.
    if matches!(
        headers.get("sec-fetch-site").map(|v| v.as_bytes()),
        Some(b"cross-site" | b"same-site")
    ) {
        let navigates = matches!(*method, Method::GET | Method::HEAD)
            && headers.get("sec-fetch-mode").map(|v| v.as_bytes()) == Some(b"navigate")
            && headers.get("sec-fetch-dest").map(|v| v.as_bytes()) == Some(b"document");
        if !navigates {
            return Decision::Refuse(FOREIGN_ORIGIN);
        }
    }
    if uri.path() == AUTH_PATH && matches!(*method, Method::GET | Method::HEAD) {
        let token = uri
            .query()
            .unwrap_or("")
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .unwrap_or("");
        return Decision::Auth(token);
    }
    if access.cookie_matches(headers.get_all(COOKIE).iter().map(|v| v.as_bytes())) {
        Decision::Forward
    } else {
        Decision::Refuse(NO_COOKIE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    struct Req {
        method: Method,
        uri: Uri,
        headers: HeaderMap,
    }

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Req {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.append(
                http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Req {
            method: method.parse().unwrap(),
            uri: path.parse().unwrap(),
            headers: map,
        }
    }

    fn setup() -> (Access, String) {
        let a = Access::new("127.3.4.5:4000".parse().unwrap(), Duration::from_secs(60));
        let cookie = a
            .set_cookie()
            .expose()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        (a, cookie)
    }

    fn check(a: &Access, r: &Req) -> Decision<'static> {
        match decide(&r.method, &r.uri, &r.headers, a) {
            Decision::Auth(_) => Decision::Auth("…"),
            Decision::Forward => Decision::Forward,
            Decision::Refuse(why) => Decision::Refuse(why),
        }
    }

    const HOST_OK: (&str, &str) = ("host", "127.3.4.5:4000");

    #[test]
    fn same_origin_requests_with_the_cookie_pass() {
        let (a, c) = setup();
        let own = a.origin();
        for r in [
            req("GET", "/lab", &[HOST_OK, ("cookie", &c)]),
            req(
                "POST",
                "/api/kernels",
                &[HOST_OK, ("cookie", &c), ("origin", &own)],
            ),
            req(
                "GET",
                "/api/kernels/1/channels",
                &[
                    HOST_OK,
                    ("cookie", &c),
                    ("origin", &own),
                    ("upgrade", "websocket"),
                ],
            ),
            req(
                "GET",
                "/x",
                &[HOST_OK, ("cookie", &c), ("sec-fetch-site", "same-origin")],
            ),
        ] {
            assert_eq!(check(&a, &r), Decision::Forward, "{:?}", r.headers);
        }
    }

    #[test]
    fn another_origin_is_refused_even_with_the_cookie() {
        let (a, c) = setup();
        for origin in [
            "http://127.0.0.1:4000",
            "http://127.3.4.5:4001",
            "http://evil.example",
            "null",
            "https://127.3.4.5:4000",
        ] {
            for method in ["GET", "POST", "PUT", "DELETE"] {
                let r = req(
                    method,
                    "/api/kernels",
                    &[HOST_OK, ("cookie", &c), ("origin", origin)],
                );
                assert_eq!(
                    check(&a, &r),
                    Decision::Refuse(FOREIGN_ORIGIN),
                    "{method} {origin}"
                );
            }
            let ws = req(
                "GET",
                "/api/kernels/1/channels",
                &[
                    HOST_OK,
                    ("cookie", &c),
                    ("origin", origin),
                    ("upgrade", "websocket"),
                ],
            );
            assert_eq!(check(&a, &ws), Decision::Refuse(FOREIGN_ORIGIN), "{origin}");
        }
        let two = req(
            "GET",
            "/",
            &[
                HOST_OK,
                ("cookie", &c),
                ("origin", &a.origin()),
                ("origin", "null"),
            ],
        );
        assert_eq!(check(&a, &two), Decision::Refuse(FOREIGN_ORIGIN));
    }

    #[test]
    fn only_a_top_level_navigation_may_come_from_another_site() {
        let (a, c) = setup();
        for site in ["cross-site", "same-site"] {
            let nav = req(
                "GET",
                "/lab",
                &[
                    HOST_OK,
                    ("cookie", &c),
                    ("sec-fetch-site", site),
                    ("sec-fetch-mode", "navigate"),
                    ("sec-fetch-dest", "document"),
                ],
            );
            assert_eq!(check(&a, &nav), Decision::Forward, "{site}");
            for (mode, dest) in [
                ("no-cors", "script"),
                ("no-cors", "image"),
                ("navigate", "iframe"),
                ("cors", "empty"),
            ] {
                let sub = req(
                    "GET",
                    "/api/contents",
                    &[
                        HOST_OK,
                        ("cookie", &c),
                        ("sec-fetch-site", site),
                        ("sec-fetch-mode", mode),
                        ("sec-fetch-dest", dest),
                    ],
                );
                assert_eq!(
                    check(&a, &sub),
                    Decision::Refuse(FOREIGN_ORIGIN),
                    "{site} {mode} {dest}"
                );
            }
            let post = req(
                "POST",
                "/lab",
                &[
                    HOST_OK,
                    ("cookie", &c),
                    ("sec-fetch-site", site),
                    ("sec-fetch-mode", "navigate"),
                    ("sec-fetch-dest", "document"),
                ],
            );
            assert_eq!(
                check(&a, &post),
                Decision::Refuse(FOREIGN_ORIGIN),
                "{site} form post"
            );
        }
    }

    #[test]
    fn host_cookie_and_auth() {
        let (a, c) = setup();
        assert_eq!(
            check(&a, &req("GET", "/", &[HOST_OK])),
            Decision::Refuse(NO_COOKIE)
        );
        assert_eq!(
            check(
                &a,
                &req("GET", "/", &[("host", "localhost:4000"), ("cookie", &c)])
            ),
            Decision::Refuse(FOREIGN_HOST)
        );
        assert_eq!(
            check(&a, &req("GET", "/", &[("cookie", &c)])),
            Decision::Refuse(FOREIGN_HOST)
        );
        assert_eq!(
            check(&a, &req("GET", "/", &[HOST_OK, HOST_OK, ("cookie", &c)])),
            Decision::Refuse(FOREIGN_HOST)
        );
        assert_eq!(
            check(
                &a,
                &req("GET", "http://evil.example/", &[HOST_OK, ("cookie", &c)])
            ),
            Decision::Refuse(FOREIGN_HOST)
        );
        let r = req("GET", "/__launcher/auth?x=1&token=abc", &[HOST_OK]);
        assert_eq!(
            decide(&r.method, &r.uri, &r.headers, &a),
            Decision::Auth("abc")
        );
        let post = req("POST", "/__launcher/auth?token=abc", &[HOST_OK]);
        assert_eq!(check(&a, &post), Decision::Refuse(NO_COOKIE));
    }
}
