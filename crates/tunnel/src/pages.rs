//! Complete HTTP/1.1 responses the tunnel answers by itself (then it closes the connection).

fn respond(status: &str, title: &str, body_html: &str, extra_headers: &str) -> Vec<u8> {
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>{extra}</head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{title}</h1>{body_html}</body></html>\n",
        extra = if status.starts_with("503") {
            "<meta http-equiv=\"refresh\" content=\"2\">"
        } else {
            ""
        }
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// No launch secret, or a foreign `Host`.
pub fn forbidden(reason: &str) -> Vec<u8> {
    respond(
        "403 Forbidden",
        "Not allowed",
        &format!(
            "<p>This is a private tunnel of the Backend.AI Launcher, open only to the window the \
             launcher opened. {reason}</p><p>Open the app from the launcher instead.</p>"
        ),
        "",
    )
}

pub fn head_too_large() -> Vec<u8> {
    respond(
        "431 Request Header Fields Too Large",
        "Request headers too large",
        "<p>The request headers are larger than this tunnel accepts.</p>",
        "",
    )
}

pub fn bad_request() -> Vec<u8> {
    respond(
        "400 Bad Request",
        "Bad request",
        "<p>The tunnel could not read this HTTP request.</p>",
        "",
    )
}

/// The app is not listening yet (close 1013, 5xx on the upgrade): reload until it is.
pub fn starting(app: &str) -> Vec<u8> {
    respond(
        "503 Service Unavailable",
        "Starting…",
        &format!("<p>{app} is starting in the session. This page reloads by itself.</p>"),
        "Retry-After: 2\r\n",
    )
}

/// The app cannot be reached right now (the server or network is down, or the app went
/// away): reload until it is back. Before the app ever answered through this tunnel that means
/// it is still starting; afterwards the connection was lost, and the page says so.
pub fn unavailable(app: &str, was_up: bool) -> Vec<u8> {
    if !was_up {
        return starting(app);
    }
    respond(
        "503 Service Unavailable",
        "Reconnecting…",
        &format!(
            "<p>Reconnecting to {app}: the connection to the session was lost. This page reloads by itself.</p>"
        ),
        "Retry-After: 2\r\n",
    )
}

/// The tunnel could not be opened for a reason a reload will not fix.
pub fn bad_gateway(reason: &str) -> Vec<u8> {
    respond(
        "502 Bad Gateway",
        "Cannot reach the app",
        &format!("<p>The launcher could not open the tunnel: {reason}</p>"),
        "",
    )
}

/// The auth redirect: sets the cookie and sends the browser to the app.
pub fn auth_redirect(location: &str, set_cookie: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 302 Found\r\nLocation: {location}\r\nSet-Cookie: {set_cookie}\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
