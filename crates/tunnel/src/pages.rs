//! The answers the tunnel gives by itself: refusals, "starting", "reconnecting", the auth
//! redirect. Each closes the connection unless it is the redirect.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use http_body_util::Full;

/// A page of ours.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: StatusCode,
    title: &'static str,
    body_html: String,
    /// Reload after this many seconds (a 503 that clears by itself).
    retry: Option<u32>,
}

impl Page {
    fn html(&self) -> String {
        let refresh = match self.retry {
            Some(s) => format!("<meta http-equiv=\"refresh\" content=\"{s}\">"),
            None => String::new(),
        };
        format!(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title>{refresh}</head>\
             <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{t}</h1>{b}</body></html>\n",
            t = self.title,
            b = self.body_html,
        )
    }

    /// As a response that ends the connection.
    pub fn response(&self) -> Response<Full<Bytes>> {
        let mut r = Response::builder()
            .status(self.status)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::CONNECTION, "close");
        if let Some(s) = self.retry {
            r = r.header(header::RETRY_AFTER, s.to_string());
        }
        r.body(Full::new(Bytes::from(self.html())))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
    }
}

fn page(status: StatusCode, title: &'static str, body_html: String, retry: Option<u32>) -> Page {
    Page {
        status,
        title,
        body_html,
        retry,
    }
}

/// No launch secret, another origin, or a foreign `Host`.
pub fn forbidden(reason: &str) -> Page {
    page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        format!(
            "<p>This is a private tunnel of the Backend.AI Launcher, open only to the window the \
             launcher opened. {}</p><p>Open the app from the launcher instead.</p>",
            escape(reason)
        ),
        None,
    )
}

/// hyper bounds its read buffer only roughly: the head's size is checked again here.
pub fn head_too_large() -> Page {
    page(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "Request headers too large",
        "<p>The request headers are larger than this tunnel accepts.</p>".into(),
        None,
    )
}

/// The app is not listening yet (close 1013, 5xx on the upgrade): reload until it is.
pub fn starting(app: &str) -> Page {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Starting…",
        format!(
            "<p>{} is starting in the session. This page reloads by itself.</p>",
            escape(app)
        ),
        Some(2),
    )
}

/// The app cannot be reached right now (the server or network is down, or the app went
/// away): reload until it is back. Before the app ever answered through this tunnel that means
/// it is still starting; afterwards the connection was lost, and the page says so.
pub fn unavailable(app: &str, was_up: bool) -> Page {
    if !was_up {
        return starting(app);
    }
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Reconnecting…",
        format!(
            "<p>Reconnecting to {}: the connection to the session was lost. This page reloads by itself.</p>",
            escape(app)
        ),
        Some(2),
    )
}

/// The tunnel could not be opened for a reason a reload will not fix.
pub fn bad_gateway(reason: &str) -> Page {
    page(
        StatusCode::BAD_GATEWAY,
        "Cannot reach the app",
        format!(
            "<p>The launcher could not open the tunnel: {}</p>",
            escape(reason)
        ),
        None,
    )
}

/// The answer to a valid auth URL: sets the cookie and sends the browser on to the app with a
/// same-origin refresh. Not a 302: a browser that came from another site (the `file:` page
/// `bai launch` opens, a link in a mail) withholds a `SameSite=Strict` cookie from every
/// request of that redirect chain, so a 302 would land on this tunnel's 403.
pub fn auth_landing(start_path: &str, set_cookie: &str) -> Response<Full<Bytes>> {
    let to = escape(start_path);
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <meta http-equiv=\"refresh\" content=\"0;url={to}\"><title>Opening…</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><p>Opening… \
         <a href=\"{to}\">continue</a></p></body></html>\n"
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::SET_COOKIE, set_cookie)
        .header(header::CACHE_CONTROL, "no-store")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| forbidden("The answer could not be built.").response())
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
