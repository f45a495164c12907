//! HMAC-SHA256 request signing, byte-for-byte the algorithm of the official client
//! (`ai.backend.common.auth.utils.generate_signature`) and of the manager's `sign_request`.
//!
//! The same function serves both sides: the client signs what it will send, the testkit
//! recomputes from what it received. Keeping one implementation means a signature bug shows up
//! in the conformance test against the official signer, not as two bugs that cancel out.

use chrono::{DateTime, FixedOffset, Utc};
use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// SHA-256 of the empty byte string: the body hash every API version since v4.20181215 signs.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The content type signed for requests that carry no `Content-Type` header (WebSocket, SSE):
/// aiohttp on the manager reports `application/octet-stream` for them.
pub const CONTENT_TYPE_NONE: &str = "application/octet-stream";

/// Everything that goes into one signature.
#[derive(Debug, Clone, Copy)]
pub struct SignatureInput<'a> {
    /// HTTP method; uppercased when signed.
    pub method: &'a str,
    /// Path and query exactly as they go on the wire (`/events/session?sessionName=x`).
    pub rel_url: &'a str,
    /// The `Date` (or `X-BackendAI-Date`) header value, signed as the raw string.
    pub date_header: &'a str,
    /// The parsed date: its calendar day, in the offset the client wrote, keys the HMAC.
    pub date: DateTime<FixedOffset>,
    /// The `Host` header as sent: host, plus `:port` only when the port is not the default.
    pub host: &'a str,
    /// MIME type without parameters; lowercased when signed.
    pub content_type: &'a str,
    /// `X-BackendAI-Version` value, e.g. `v9.20250722`.
    pub api_version: &'a str,
}

impl SignatureInput<'_> {
    /// The seven-line string to sign (no trailing newline).
    pub fn string_to_sign(&self) -> String {
        format!(
            "{}\n{}\n{}\nhost:{}\ncontent-type:{}\nx-backendai-version:{}\n{}",
            self.method.to_ascii_uppercase(),
            self.rel_url,
            self.date_header,
            self.host,
            self.content_type.to_ascii_lowercase(),
            self.api_version,
            EMPTY_BODY_SHA256,
        )
    }
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The derived signing key: HMAC(HMAC(secret, YYYYMMDD), host).
pub fn signing_key(secret_key: &str, date: &DateTime<FixedOffset>, host: &str) -> [u8; 32] {
    let k1 = hmac(
        secret_key.as_bytes(),
        date.format("%Y%m%d").to_string().as_bytes(),
    );
    hmac(&k1, host.as_bytes())
}

/// Lowercase hex signature of `input` under `secret_key`.
pub fn signature(secret_key: &str, input: &SignatureInput<'_>) -> String {
    let key = signing_key(secret_key, &input.date, input.host);
    hex::encode(hmac(&key, input.string_to_sign().as_bytes()))
}

/// The full `Authorization` header value.
pub fn authorization(access_key: &str, secret_key: &str, input: &SignatureInput<'_>) -> String {
    format!(
        "BackendAI signMethod=HMAC-SHA256, credential={access_key}:{}",
        signature(secret_key, input)
    )
}

/// A date header in the official client's format (`isoformat()` of an aware UTC datetime).
pub fn format_date(now: DateTime<Utc>) -> (String, DateTime<FixedOffset>) {
    let s = now.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string();
    (s, now.fixed_offset())
}

/// Parse a date header the way the manager does (dateutil): ISO 8601 with or without
/// fraction and offset (a missing offset means UTC), or an RFC 7231 HTTP date.
pub fn parse_date(value: &str) -> Option<DateTime<FixedOffset>> {
    let v = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%:z") {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d);
    }
    if let Ok(n) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(n.and_utc().fixed_offset());
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(v) {
        return Some(d);
    }
    httpdate::parse_http_date(v)
        .ok()
        .map(|t| DateTime::<Utc>::from(t).fixed_offset())
}

/// Parsed `Authorization: BackendAI signMethod=HMAC-SHA256, credential=AK:SIG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationHeader {
    pub sign_method: String,
    pub access_key: String,
    pub signature: String,
}

/// Parse an `Authorization` header as the manager does (`_extract_auth_params`).
pub fn parse_authorization(value: &str) -> Option<AuthorizationHeader> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if scheme != "BackendAI" && scheme != "Sorna" {
        return None;
    }
    let mut sign_method = None;
    let mut credential = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "signMethod" => sign_method = Some(v.trim().to_owned()),
            "credential" => credential = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    let credential = credential?;
    let (ak, sig) = credential.split_once(':')?;
    Some(AuthorizationHeader {
        sign_method: sign_method?,
        access_key: ak.to_owned(),
        signature: sig.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const SK: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn input<'a>(
        method: &'a str,
        rel_url: &'a str,
        date_header: &'a str,
        host: &'a str,
        ct: &'a str,
        ver: &'a str,
    ) -> SignatureInput<'a> {
        SignatureInput {
            method,
            rel_url,
            date_header,
            date: parse_date(date_header).expect("test date parses"),
            host,
            content_type: ct,
            api_version: ver,
        }
    }

    #[test]
    fn tv1_matches_official_client() {
        let i = input(
            "GET",
            "/",
            "2024-01-02T03:04:05+00:00",
            "api.backend.ai",
            "text/plain",
            "v9.20250722",
        );
        let k1 = hmac(SK.as_bytes(), b"20240102");
        assert_eq!(
            hex::encode(k1),
            "7719b4d3d9c3ca6db0e12e4e68239a415abd410ee820dcd44cea574d538d8093"
        );
        assert_eq!(
            hex::encode(signing_key(SK, &i.date, i.host)),
            "bfd525ba842b41c663ce3a6e0882f7de43c5b9c20e89a5b7dc837003a01001b8"
        );
        assert_eq!(
            authorization(AK, SK, &i),
            "BackendAI signMethod=HMAC-SHA256, credential=AKIAIOSFODNN7EXAMPLE:0665868d25e46f8e05f7c4a9ad150e52c965fda29aa034603316081ce24fbc3f"
        );
    }

    #[test]
    fn tv2_matches_official_client() {
        let i = input(
            "POST",
            "/session",
            "2024-05-06T07:08:09.123456+00:00",
            "127.0.0.1:8090",
            "application/json",
            "v8.20240915",
        );
        assert_eq!(
            hex::encode(signing_key(SK, &i.date, i.host)),
            "ab5a5f400bd6bf43abbc9c3b0d9630c5a122a043eb5805dc0c9bc58b8d352c02"
        );
        assert_eq!(
            signature(SK, &i),
            "94d0af88aaca8691c62c8a5041932067abd5600e26326052a399b0ed06bcf94b"
        );
    }

    #[test]
    fn key_uses_the_day_in_the_clients_offset() {
        // 23:30 at -05:00 is already the next day in UTC; the manager keys on the written day.
        let d = parse_date("2024-01-02T23:30:00-05:00").expect("parses");
        let utc = parse_date("2024-01-03T04:30:00+00:00").expect("parses");
        assert_ne!(signing_key(SK, &d, "h"), signing_key(SK, &utc, "h"));
        assert_eq!(signing_key(SK, &d, "h").to_vec(), {
            let k1 = hmac(SK.as_bytes(), b"20240102");
            hmac(&k1, b"h").to_vec()
        });
    }

    #[test]
    fn parses_the_date_styles_clients_send() {
        for s in [
            "2024-01-02T03:04:05+00:00",
            "2024-01-02T03:04:05.123456+00:00",
            "2024-01-02T03:04:05.000Z",
            "2024-01-02T03:04:05",
            "Tue, 02 Jan 2024 03:04:05 GMT",
        ] {
            let d = parse_date(s).unwrap_or_else(|| panic!("{s} should parse"));
            assert_eq!(
                d.format("%Y%m%d%H%M%S").to_string(),
                "20240102030405",
                "{s}"
            );
        }
        assert!(parse_date("yesterday").is_none());
    }

    #[test]
    fn formats_dates_like_python_isoformat() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T09:11:23.132608Z")
            .expect("parses")
            .with_timezone(&Utc);
        assert_eq!(format_date(now).0, "2026-11-25T09:11:23.132608+00:00");
    }

    #[test]
    fn parses_authorization_headers() {
        let h = parse_authorization("BackendAI signMethod=HMAC-SHA256, credential=AK:abc")
            .expect("parses");
        assert_eq!(h.access_key, "AK");
        assert_eq!(h.signature, "abc");
        assert_eq!(h.sign_method, "HMAC-SHA256");
        assert!(parse_authorization("Bearer xyz").is_none());
        assert!(parse_authorization("BackendAI signMethod=HMAC-SHA256").is_none());
    }
}
