//! The official client's variables: `BACKEND_*` (or the older `SORNA_*`) from the environment,
//! with a `.env` file laid over them.
//!
//! What `backend.ai` 26.9 does, and so what is mirrored here: before reading a variable it
//! calls python-dotenv's `load_dotenv(find_dotenv(usecwd=True), override=True)`, so the first
//! `.env` found from the current directory upward wins over the environment. The v2 commands
//! read `BACKEND_ENDPOINT`, `BACKEND_ENDPOINT_TYPE`, `BACKEND_ACCESS_KEY`,
//! `BACKEND_SECRET_KEY` (and `BACKEND_PROFILE`, which only picks a profile); the older
//! commands also `BACKEND_DOMAIN`, `BACKEND_GROUP` and `BACKEND_SKIP_SSLCERT_VALIDATION`, each
//! falling back to `SORNA_<NAME>`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bai_secrets::Secret;

use super::FoundAccount;
use crate::endpoint::EndpointKind;
use crate::error::{Error, Result};

/// A parsed `.env` file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DotEnv {
    pub vars: BTreeMap<String, String>,
    /// 1-based numbers of lines that are not `KEY=VALUE`; skipped, as python-dotenv does. Only
    /// the numbers are kept: such a line may hold a secret.
    pub bad_lines: Vec<usize>,
}

/// The first `.env` file in `start` or a folder above it (python-dotenv's `find_dotenv`).
pub fn find_dotenv(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(".env"))
        .find(|f| f.is_file())
}

/// Parse a `.env` file the way python-dotenv does: `export ` prefixes, comments, single quotes
/// (literal), double quotes (with `\n`-style escapes), unquoted values up to a ` #` comment,
/// and `${NAME}` / `${NAME:-default}` expanded from earlier lines, then `outer` (the
/// environment), in unquoted and double-quoted values.
pub fn parse_dotenv(text: &str, outer: &dyn Fn(&str) -> Option<String>) -> DotEnv {
    let mut out = DotEnv::default();
    for (i, line) in text.lines().enumerate() {
        match parse_line(line) {
            Ok(None) => {}
            Ok(Some((key, raw, expand))) => {
                let value = if expand {
                    interpolate(&raw, &|k| out.vars.get(k).cloned().or_else(|| outer(k)))
                } else {
                    raw
                };
                out.vars.insert(key, value);
            }
            Err(()) => out.bad_lines.push(i + 1),
        }
    }
    out
}

type Parsed = Option<(String, String, bool)>;

fn parse_line(line: &str) -> std::result::Result<Parsed, ()> {
    let line = line.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let line = match line.strip_prefix("export") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim_start(),
        _ => line,
    };
    let (key, rest) = line.split_once('=').ok_or(())?;
    let key = key.trim();
    let key = key
        .strip_prefix('\'')
        .and_then(|k| k.strip_suffix('\''))
        .unwrap_or(key);
    if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '#') {
        return Err(());
    }
    let rest = rest.trim_start();
    let (value, expand, tail) = if let Some(body) = rest.strip_prefix('\'') {
        let (v, tail) = quoted(body, '\'')?;
        (v, false, tail)
    } else if let Some(body) = rest.strip_prefix('"') {
        let (v, tail) = quoted(body, '"')?;
        (v, true, tail)
    } else {
        // An unquoted value ends at a `#` that follows whitespace.
        let end = rest
            .char_indices()
            .find(|&(i, c)| c == '#' && i > 0 && rest[..i].ends_with([' ', '\t']))
            .map_or(rest.len(), |(i, _)| i);
        return Ok(Some((
            key.to_owned(),
            rest[..end].trim_end().to_owned(),
            true,
        )));
    };
    let tail = tail.trim_start();
    if !tail.is_empty() && !tail.starts_with('#') {
        return Err(());
    }
    Ok(Some((key.to_owned(), value, expand)))
}

/// The body of a quoted value up to its closing quote, escapes decoded, and what follows.
fn quoted(body: &str, quote: char) -> std::result::Result<(String, &str), ()> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((out, &body[i + 1..]));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            return Err(());
        };
        // Single quotes only unescape `\'` and `\\`; double quotes the usual C escapes.
        let decoded = match (quote, e) {
            (_, '\\') => Some('\\'),
            (_, q) if q == quote => Some(q),
            ('"', 'n') => Some('\n'),
            ('"', 't') => Some('\t'),
            ('"', 'r') => Some('\r'),
            ('"', '\'') => Some('\''),
            ('"', 'a') => Some('\u{7}'),
            ('"', 'b') => Some('\u{8}'),
            ('"', 'f') => Some('\u{c}'),
            ('"', 'v') => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(d) => out.push(d),
            None => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    // No closing quote on this line (python-dotenv would read on; such a value is no endpoint
    // or key).
    Err(())
}

fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, d),
            None => (inner, ""),
        };
        out.push_str(&lookup(name).unwrap_or_else(|| default.to_owned()));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The account the variables describe, or `None` when no endpoint is set. `source` names them
/// for messages; `plain` is where the secret key sits in plain text (for the warning).
pub fn account_from_vars(
    get: &dyn Fn(&str) -> Option<String>,
    source: &str,
    plain: &str,
) -> Result<Option<FoundAccount>> {
    // The official client's `get_env`: BACKEND_<NAME>, else the pre-rename SORNA_<NAME>.
    let get = |name: &str| {
        [format!("BACKEND_{name}"), format!("SORNA_{name}")]
            .iter()
            .find_map(|k| get(k))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let Some(endpoints) = get("ENDPOINT") else {
        return Ok(None);
    };
    let bad = |reason: String| Error::InvalidInput {
        field: source.to_owned(),
        reason,
    };
    let mut notes = Vec::new();
    // The older commands take a comma-separated list and fail over between them; a profile
    // has one endpoint.
    let mut list = endpoints
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let endpoint = list.next().unwrap_or_default().to_owned();
    if list.next().is_some() {
        notes.push(format!(
            "BACKEND_ENDPOINT lists several endpoints; only the first, {endpoint}, was imported"
        ));
    }
    let kind = match get("ENDPOINT_TYPE") {
        Some(t) => parse_kind(&t).map_err(|r| bad(format!("BACKEND_ENDPOINT_TYPE: {r}")))?,
        None => EndpointKind::Api,
    };
    let skip_tls_verify = match get("SKIP_SSLCERT_VALIDATION") {
        Some(v) => parse_bool(&v).ok_or_else(|| {
            bad(format!(
                "BACKEND_SKIP_SSLCERT_VALIDATION is {v:?}; use yes or no"
            ))
        })?,
        None => false,
    };
    let secret_key = get("SECRET_KEY").map(Secret::new);
    Ok(Some(FoundAccount {
        source: source.to_owned(),
        name: None,
        endpoint,
        endpoint_defaulted: false,
        kind,
        access_key: get("ACCESS_KEY"),
        plain_text: secret_key.as_ref().map(|_| plain.to_owned()),
        secret_key,
        email: None,
        domain: get("DOMAIN"),
        group: get("GROUP"),
        skip_tls_verify,
        notes,
    }))
}

/// The official client's endpoint types: `api` and `session` (web UI server).
pub(super) fn parse_kind(value: &str) -> std::result::Result<EndpointKind, String> {
    match value.trim() {
        "api" => Ok(EndpointKind::Api),
        "session" => Ok(EndpointKind::Webserver),
        other => Err(format!(
            "unknown endpoint type {other:?}; the official client knows \"api\" and \"session\""
        )),
    }
}

/// The official client's `bool_env`.
pub(super) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn dotenv_syntax_as_python_dotenv_reads_it() {
        let text = "# comment\n\
            export BACKEND_ENDPOINT=\"http://10.0.0.5:8081\"  # the lab\n\
            BACKEND_ACCESS_KEY = AKENV # trailing\n\
            BACKEND_SECRET_KEY='lit#eral \\n $x'\n\
            HASH=a#b\n\
            ESC=\"a\\tb\\\"c\"\n\
            HOST=${BACKEND_ACCESS_KEY}-${MISSING:-dflt}-${FROM_ENV}\n\
            EMPTY=\n\
            not a line\n\
            UNCLOSED=\"abc\n";
        let env = |k: &str| (k == "FROM_ENV").then(|| "outer".to_owned());
        let d = parse_dotenv(text, &env);
        assert_eq!(d.vars["BACKEND_ENDPOINT"], "http://10.0.0.5:8081");
        assert_eq!(d.vars["BACKEND_ACCESS_KEY"], "AKENV");
        assert_eq!(d.vars["BACKEND_SECRET_KEY"], "lit#eral \\n $x");
        assert_eq!(d.vars["HASH"], "a#b");
        assert_eq!(d.vars["ESC"], "a\tb\"c");
        assert_eq!(d.vars["HOST"], "AKENV-dflt-outer");
        assert_eq!(d.vars["EMPTY"], "");
        assert_eq!(d.bad_lines, vec![9, 10]);
    }

    #[test]
    fn variables_with_the_legacy_prefix_and_lists() {
        let vars = |k: &str| match k {
            "SORNA_ENDPOINT" => Some("https://a.example.com, https://b.example.com".into()),
            "BACKEND_ENDPOINT_TYPE" => Some("session".into()),
            "BACKEND_SKIP_SSLCERT_VALIDATION" => Some("yes".into()),
            "SORNA_GROUP" => Some("research".into()),
            _ => None,
        };
        let f = account_from_vars(&vars, "the environment", "env")
            .expect("ok")
            .expect("found");
        assert_eq!(f.endpoint, "https://a.example.com");
        assert_eq!(f.kind, EndpointKind::Webserver);
        assert!(f.skip_tls_verify);
        assert_eq!(f.group.as_deref(), Some("research"));
        assert_eq!(f.notes.len(), 1, "{:?}", f.notes);
        assert!(f.plain_text.is_none());
        assert!(account_from_vars(&none, "x", "x").expect("ok").is_none());
    }

    #[test]
    fn bad_variables_are_refused_clearly() {
        let vars = |k: &str| match k {
            "BACKEND_ENDPOINT" => Some("https://a.example.com".into()),
            "BACKEND_ENDPOINT_TYPE" => Some("docker".into()),
            _ => None,
        };
        let e = account_from_vars(&vars, "the environment", "env").expect_err("bad");
        assert!(e.to_string().contains("\"api\" and \"session\""), "{e}");
        let vars = |k: &str| match k {
            "BACKEND_ENDPOINT" => Some("https://a.example.com".into()),
            "BACKEND_SKIP_SSLCERT_VALIDATION" => Some("maybe".into()),
            _ => None,
        };
        let e = account_from_vars(&vars, "the environment", "env").expect_err("bad");
        assert!(e.to_string().contains("yes or no"), "{e}");
    }

    #[test]
    fn finds_the_nearest_dotenv_upward() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).expect("mkdir");
        std::fs::write(dir.path().join("a/.env"), "X=1\n").expect("write");
        assert_eq!(find_dotenv(&deep), Some(dir.path().join("a/.env")));
    }
}
