//! Signs requests with `bai_core::signing` for the conformance tests in `tests/conformance`,
//! which compare the output with the official Python SDK's `generate_signature`.
//!
//! Input: one JSON object per stdin line:
//!   {"method", "rel_url", "date", "content_type", "version", "access_key", "secret_key",
//!    and exactly one of "host" (the host line as is) or "endpoint" (a URL, normalised with
//!    `Endpoint::parse(..).host_line()`, the way the launcher's client computes it);
//!    optional "join_path": with "endpoint", the path and query to put under the endpoint
//!    with `Endpoint::join`; the signed rel_url is then what the client would send, and
//!    "rel_url" is ignored}
//! Output: one JSON object per input line, in order:
//!   {"authorization", "host", "rel_url"} — the header and the host line and rel_url signed —
//!   or {"error": "..."} when the line is not usable (the batch goes on).
//!
//! `sign --supported-versions` prints `bai_core::version::SUPPORTED` as a JSON array, so the
//! tests can check their version list against the crate's.

use std::io::{self, BufRead, BufWriter, Write};

use bai_core::Endpoint;
use bai_core::endpoint::rel_url;
use bai_core::signing::{SignatureInput, authorization, parse_date};
use bai_core::version::SUPPORTED;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Line {
    method: String,
    #[serde(default)]
    rel_url: Option<String>,
    date: String,
    content_type: String,
    version: String,
    access_key: String,
    secret_key: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    join_path: Option<String>,
}

fn sign_line(raw: &str) -> Result<serde_json::Value, String> {
    let line: Line = serde_json::from_str(raw).map_err(|e| format!("bad input line: {e}"))?;
    let endpoint = match &line.endpoint {
        Some(e) => Some(Endpoint::parse(e).map_err(|e| e.to_string())?),
        None => None,
    };
    let host = match (&line.host, &endpoint) {
        (Some(h), None) => h.clone(),
        (None, Some(e)) => e.host_line(),
        _ => return Err("give exactly one of \"host\" and \"endpoint\"".into()),
    };
    let rel = match (&line.join_path, &endpoint, &line.rel_url) {
        (Some(p), Some(e), _) => rel_url(&e.join(p).map_err(|e| e.to_string())?),
        (Some(_), None, _) => return Err("\"join_path\" needs \"endpoint\"".into()),
        (None, _, Some(r)) => r.clone(),
        (None, _, None) => return Err("give \"rel_url\" or \"join_path\"".into()),
    };
    let date = parse_date(&line.date)
        .ok_or_else(|| format!("date {:?} is not a date the manager accepts", line.date))?;
    let input = SignatureInput {
        method: &line.method,
        rel_url: &rel,
        date_header: &line.date,
        date,
        host: &host,
        content_type: &line.content_type,
        api_version: &line.version,
    };
    Ok(json!({
        "authorization": authorization(&line.access_key, &line.secret_key, &input),
        "host": host,
        "rel_url": rel,
    }))
}

fn main() -> io::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    if std::env::args().nth(1).as_deref() == Some("--supported-versions") {
        let versions: Vec<String> = SUPPORTED.iter().map(ToString::to_string).collect();
        writeln!(out, "{}", json!(versions))?;
        return out.flush();
    }
    for raw in io::stdin().lock().lines() {
        let raw = raw?;
        if raw.trim().is_empty() {
            continue;
        }
        let reply = sign_line(&raw).unwrap_or_else(|e| json!({ "error": e }));
        writeln!(out, "{reply}")?;
    }
    out.flush()
}
