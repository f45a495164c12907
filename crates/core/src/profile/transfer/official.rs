//! The official client's folder, `~/.backend.ai`, as `backend.ai` 26.9 writes it
//! (`ai/backend/client/cli/v2/helpers.py`, `config_cmd.py`, `profile_cmd.py`, `login_cmd.py`):
//!
//! - `config.toml`: `[backend-ai]` with `endpoint`, `endpoint_type` (`api` | `session`),
//!   `api_version`, `skip_ssl_verification` (a boolean); written by `v2 config set` and
//!   `v2 profile create`;
//! - `credentials.toml`: `[backend-ai]` with `access_key`, `secret_key`, in plain text;
//! - `session/cookie.dat` (and sometimes `session/config.json`): a `v2 login` session;
//! - the same files in `profiles/<name>/` for each named profile (`v2 profile create NAME`),
//!   where a name matches `[A-Za-z0-9][A-Za-z0-9._-]*`;
//! - `current-profile`: the name `v2 profile use NAME` made current, one line. Without it
//!   the unnamed profile (the files at the top) is the one in use.
//!
//! Keys outside `[backend-ai]` are ignored by the client, so they are ignored here too. A
//! missing endpoint or type means the client's defaults. The folder is always
//! `$HOME/.backend.ai`: the client has no variable that moves it.

use std::path::Path;

use super::FoundAccount;
use super::env::{parse_bool, parse_kind};
use crate::endpoint::EndpointKind;
use crate::error::{Error, Result};

/// The official client's endpoint when its files set none.
pub const DEFAULT_ENDPOINT: &str = "https://api.cloud.backend.ai";

/// The official client's own name pattern for profiles.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// What the official client's folder holds.
#[derive(Debug, Default)]
pub struct OfficialDir {
    /// The unnamed profile first (if any), then the named ones by name.
    pub accounts: Vec<FoundAccount>,
    /// Profiles that could not be read: (where, why).
    pub skipped: Vec<(String, String)>,
    /// The name in `current-profile`; `None` means the unnamed profile is the current one.
    pub current: Option<String>,
    /// Things to tell the user about the folder as a whole.
    pub notes: Vec<String>,
}

impl OfficialDir {
    /// Whether `account` is the one the official client uses by default.
    pub fn is_current(&self, account: &FoundAccount) -> bool {
        account.name == self.current
    }
}

/// Read the official client's folder. Fails only when `dir` is not a folder; a profile that
/// cannot be read is listed in `skipped` with the reason.
pub fn read_official_dir(dir: &Path) -> Result<OfficialDir> {
    if !dir.is_dir() {
        return Err(Error::InvalidInput {
            field: "official client folder".into(),
            reason: format!(
                "{} is not a folder; give the official client's folder (it is ~/.backend.ai unless HOME differs)",
                dir.display()
            ),
        });
    }
    let mut out = OfficialDir::default();
    match std::fs::read_to_string(dir.join("current-profile")) {
        Ok(text) => out.current = Some(text.trim().to_owned()).filter(|n| !n.is_empty()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => out.notes.push(format!(
            "cannot read {}: {e}; the current profile is unknown",
            dir.join("current-profile").display()
        )),
    }
    if dir.join("config.toml").exists() || dir.join("credentials.toml").exists() {
        push(&mut out, dir, None);
    }
    let mut named: Vec<_> = std::fs::read_dir(dir.join("profiles"))
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    named.sort();
    for path in named {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !valid_name(&name) {
            out.skipped.push((
                path.display().to_string(),
                "the official client does not use a profile by this name".into(),
            ));
            continue;
        }
        push(&mut out, &path, Some(name));
    }
    if let Some(current) = &out.current
        && !out
            .accounts
            .iter()
            .any(|a| a.name.as_ref() == Some(current))
        && !out
            .skipped
            .iter()
            .any(|(p, _)| p.ends_with(current.as_str()))
    {
        out.notes.push(format!(
            "current-profile names {current:?}, but there is no such profile"
        ));
    }
    if out.accounts.is_empty() && out.skipped.is_empty() {
        out.skipped.push((
            dir.display().to_string(),
            "no config.toml, credentials.toml or profiles/<name>/ found".into(),
        ));
    }
    Ok(out)
}

fn push(out: &mut OfficialDir, dir: &Path, name: Option<String>) {
    match read_profile(dir, name) {
        Ok(a) => out.accounts.push(a),
        Err(why) => out.skipped.push((dir.display().to_string(), why)),
    }
}

/// One profile's folder (the top folder for the unnamed profile).
pub fn read_profile(dir: &Path, name: Option<String>) -> std::result::Result<FoundAccount, String> {
    let mut notes = Vec::new();
    let config = section(&dir.join("config.toml"), &mut notes)?;
    let creds_path = dir.join("credentials.toml");
    let creds = section(&creds_path, &mut notes)?;
    let text = |t: &toml::Table, file: &str, key: &str| match t.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(_) => Err(format!("{file}: `{key}` is not a string")),
    };
    let endpoint = text(&config, "config.toml", "endpoint")?;
    let endpoint_defaulted = endpoint.is_none();
    if endpoint_defaulted {
        notes.push(format!(
            "config.toml sets no endpoint, so this is the official client's default, {DEFAULT_ENDPOINT}"
        ));
    }
    let kind = match text(&config, "config.toml", "endpoint_type")? {
        Some(t) => parse_kind(&t).map_err(|r| format!("config.toml: endpoint_type: {r}"))?,
        None => EndpointKind::Api,
    };
    let skip_tls_verify = match config.get("skip_ssl_verification") {
        None => false,
        Some(toml::Value::Boolean(b)) => *b,
        Some(toml::Value::String(s)) => parse_bool(s)
            .ok_or("config.toml: skip_ssl_verification is neither true nor false".to_owned())?,
        Some(_) => return Err("config.toml: skip_ssl_verification is not a boolean".into()),
    };
    // Only the names of keys are ever put in messages: the values may be secrets.
    let secret_key = match creds.get("secret_key") {
        None => None,
        Some(toml::Value::String(s)) if s.trim().is_empty() => None,
        Some(toml::Value::String(s)) => Some(bai_secrets::Secret::new(s.trim())),
        Some(_) => return Err("credentials.toml: `secret_key` is not a string".into()),
    };
    let email = (kind == EndpointKind::Webserver)
        .then(|| login_user(dir))
        .flatten();
    Ok(FoundAccount {
        source: dir.display().to_string(),
        name,
        endpoint: endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned()),
        endpoint_defaulted,
        kind,
        access_key: text(&creds, "credentials.toml", "access_key")?,
        plain_text: secret_key
            .as_ref()
            .map(|_| creds_path.display().to_string()),
        secret_key,
        email,
        domain: None,
        group: None,
        skip_tls_verify,
        notes,
    })
}

/// The `[backend-ai]` table of a TOML file; empty when the file is missing.
fn section(path: &Path, notes: &mut Vec<String>) -> std::result::Result<toml::Table, String> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The message and line only: the error's own rendering quotes the line, which in
        // credentials.toml may hold the secret key.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
        format!("{file} is not valid TOML{at}: {}", e.message())
    })?;
    match table.remove("backend-ai") {
        Some(toml::Value::Table(t)) => {
            if !table.is_empty() {
                notes.push(format!(
                    "{file}: keys outside [backend-ai] are ignored, as the official client ignores them"
                ));
            }
            Ok(t)
        }
        Some(_) => Err(format!("{file}: `backend-ai` is not a table")),
        None if table.is_empty() => Ok(table),
        None => {
            notes.push(format!(
                "{file} has no [backend-ai] table; the official client ignores its keys, and so does this import"
            ));
            Ok(toml::Table::new())
        }
    }
}

/// The user a `v2 login` remembered in `session/config.json`, when the server sent one.
fn login_user(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("session/config.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["email", "username"]
        .iter()
        .find_map(|k| v.get(k)?.as_str())
        .map(str::trim)
        .filter(|s| s.contains('@'))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    // The real client's files are read in `bai-cli`'s tests, which run `backend.ai` itself;
    // these cover what it never writes.

    #[test]
    fn defaults_and_ignored_top_level_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            &dir.path().join("config.toml"),
            "endpoint = \"https://top.example.com\"\n",
        );
        write(
            &dir.path().join("credentials.toml"),
            "[backend-ai]\naccess_key = \"AK\"\nsecret_key = \"SK\"\n",
        );
        let o = read_official_dir(dir.path()).expect("read");
        let a = &o.accounts[0];
        assert_eq!(a.endpoint, DEFAULT_ENDPOINT);
        assert!(a.endpoint_defaulted);
        assert_eq!(a.kind, EndpointKind::Api);
        assert_eq!(a.secret_key.as_ref().map(|s| s.expose()), Some("SK"));
        assert!(
            a.notes.iter().any(|n| n.contains("no [backend-ai]")),
            "{:?}",
            a.notes
        );
        assert_eq!(o.current, None);
        assert!(o.is_current(a));
    }

    #[test]
    fn bad_files_are_skipped_with_reasons_that_hold_no_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("profiles");
        write(
            &p.join("broken/credentials.toml"),
            "[backend-ai]\nsecret_key = \"s3cr3t-value\n",
        );
        write(&p.join("typed/config.toml"), "[backend-ai]\nendpoint = 5\n");
        write(
            &p.join("docker/config.toml"),
            "[backend-ai]\nendpoint_type = \"docker\"\n",
        );
        write(&p.join("bad name/config.toml"), "");
        write(
            &p.join("ok/config.toml"),
            "[backend-ai]\nendpoint_type = \"session\"\nskip_ssl_verification = true\n",
        );
        write(
            &p.join("ok/session/config.json"),
            "{\"username\": \"me@example.com\"}",
        );
        write(&dir.path().join("current-profile"), "gone\n");
        let o = read_official_dir(dir.path()).expect("read");
        let why = |n: &str| {
            o.skipped
                .iter()
                .find(|(p, _)| p.ends_with(n))
                .map(|(_, w)| w.clone())
                .unwrap_or_else(|| panic!("{n} not skipped: {:?}", o.skipped))
        };
        let broken = why("broken");
        assert!(broken.contains("not valid TOML (line 2)"), "{broken}");
        assert!(!broken.contains("s3cr3t"), "{broken}");
        assert!(why("typed").contains("`endpoint` is not a string"));
        assert!(why("docker").contains("\"session\""));
        assert!(why("bad name").contains("does not use"));
        assert_eq!(o.accounts.len(), 1);
        let ok = &o.accounts[0];
        assert_eq!(ok.kind, EndpointKind::Webserver);
        assert!(ok.skip_tls_verify);
        assert_eq!(ok.email.as_deref(), Some("me@example.com"));
        assert!(
            o.notes.iter().any(|n| n.contains("\"gone\"")),
            "{:?}",
            o.notes
        );
    }

    #[test]
    fn not_a_folder_is_a_clear_error() {
        let e = read_official_dir(Path::new("/nonexistent/.backend.ai")).expect_err("missing");
        assert!(e.to_string().contains("is not a folder"), "{e}");
        let empty = tempfile::tempdir().expect("tempdir");
        let o = read_official_dir(empty.path()).expect("read");
        assert!(o.skipped[0].1.contains("no config.toml"), "{:?}", o.skipped);
    }
}
