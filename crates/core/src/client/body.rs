//! Reading response bodies with a size cap, and decoding JSON with messages that say what
//! arrived instead (an HTML page, a cut-off body) without echoing the whole body.

use serde::de::DeserializeOwned;

use crate::error::Error;

/// The most a single (non-streaming) response may carry.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How much of an error response is read to find its problem+json.
pub(crate) const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Read the body, refusing (without buffering the rest) once it passes `limit` bytes.
/// `truncate` stops quietly at the limit instead (for error bodies, only the start matters).
pub(crate) async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
    truncate: bool,
    timeout: std::time::Duration,
) -> Result<Vec<u8>, Error> {
    if !truncate && response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(Error::ResponseTooLarge { limit });
    }
    let mut buf = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(buf),
            Err(e) if e.is_timeout() => {
                return Err(Error::Timeout {
                    url: super::transport::display_url(response.url()),
                    after: timeout,
                });
            }
            Err(e) if truncate => {
                tracing::debug!("error body ended early: {e}");
                return Ok(buf);
            }
            Err(e) => {
                return Err(Error::InvalidResponse {
                    detail: format!(
                        "the connection broke before the whole response arrived ({} bytes read): {}",
                        buf.len(),
                        root_message(&e)
                    ),
                });
            }
        };
        if buf.len() + chunk.len() > limit {
            if truncate {
                buf.extend_from_slice(&chunk[..limit - buf.len()]);
                return Ok(buf);
            }
            return Err(Error::ResponseTooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
}

fn root_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Decode JSON, or say what came instead.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|e| Error::InvalidResponse {
        detail: describe_json_error(body, what, &e),
    })
}

pub(crate) fn describe_json_error(body: &[u8], what: &str, e: &serde_json::Error) -> String {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        format!("{what}: the response body is empty")
    } else if trimmed.starts_with(b"<") {
        format!(
            "{what}: got an HTML page instead of JSON (is the endpoint the API or web server address?): {}",
            excerpt(body)
        )
    } else if e.is_eof() {
        format!(
            "{what}: the JSON response was cut off after {} bytes",
            body.len()
        )
    } else if e.is_syntax() {
        format!("{what}: the response is not JSON: {}", excerpt(body))
    } else {
        format!("{what}: the JSON has an unexpected shape ({e})")
    }
}

/// A short, single-line, printable start of a body for messages.
pub fn excerpt(body: &[u8]) -> String {
    const MAX_CHARS: usize = 80;
    let text = String::from_utf8_lossy(&body[..body.len().min(4 * MAX_CHARS)]);
    let truncated = body.len() > 4 * MAX_CHARS || text.chars().count() > MAX_CHARS;
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_CHARS)
        .collect();
    out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if truncated {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_named_as_html_with_a_short_excerpt() {
        let page = format!("<!doctype html><html>{}</html>", "x".repeat(5000));
        let err = parse_json::<serde_json::Value>(page.as_bytes(), "GET /").expect_err("html");
        let msg = err.to_string();
        assert_eq!(err.code(), "invalid-response");
        assert!(msg.contains("HTML page"), "{msg}");
        assert!(
            msg.len() < 300,
            "excerpt must stay short: {} chars",
            msg.len()
        );
    }

    #[test]
    fn cut_off_json_says_so() {
        let err = parse_json::<serde_json::Value>(br#"{"version": "v9.2025"#, "GET /")
            .expect_err("truncated");
        assert!(err.to_string().contains("cut off after 20 bytes"), "{err}");
    }

    #[test]
    fn garbage_and_empty_bodies() {
        let err = parse_json::<serde_json::Value>(b"\x00\x01garbage", "x").expect_err("garbage");
        assert!(err.to_string().contains("not JSON"), "{err}");
        let err = parse_json::<serde_json::Value>(b"  ", "x").expect_err("empty");
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn excerpt_is_single_line_and_bounded() {
        let e = excerpt(b"line one\nline\ttwo\r\n");
        assert_eq!(e, "\"line one line two\"");
        let long = excerpt(&[b'a'; 1000]);
        assert!(long.chars().count() < 90 && long.contains('…'), "{long}");
    }
}
