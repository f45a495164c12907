//! `bai profile import`: from the official client's `BACKEND_*` variables (environment or a
//! `.env` file) and its `~/.backend.ai` directory.
//!
//! The official directory layout read here: `config.toml` (keys `endpoint`, `endpoint_type`
//! = `api` | `session`, `domain`, `group`) with `credentials.toml` (`access_key`,
//! `secret_key`) for the unnamed profile, and the same two files in `profiles/<name>/` for
//! named ones. Secret keys go to the keyring; the user is told the source still holds them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bai_core::EndpointKind;
use bai_core::profile::ProfileDraft;
use bai_secrets::{Secret, SecretKind};
use serde_json::json;

use super::{Context, store_or_undo};
use crate::cli::ImportArgs;
use crate::report::CliError;

/// One account found in a source.
#[derive(Debug)]
struct Found {
    /// Where it came from, for messages.
    source: String,
    /// The name the source gives it (official named profiles).
    name: Option<String>,
    endpoint: String,
    kind: Option<String>,
    access_key: Option<String>,
    secret_key: Option<Secret>,
    domain: Option<String>,
    group: Option<String>,
    /// Where the secret key still sits in plain text.
    plain_text: Option<String>,
}

pub fn run(ctx: &mut Context<'_>, args: ImportArgs) -> Result<(), CliError> {
    if !args.from_env && args.env_file.is_none() && args.official.is_none() {
        return Err(CliError::input(
            "say where to import from: --from-env, --env-file FILE, or --official [DIR] (default ~/.backend.ai)",
        ));
    }
    let mut found = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    if args.from_env {
        let env = ctx.env;
        match from_vars(
            &|k| env(k),
            "the environment",
            "the BACKEND_SECRET_KEY variable",
        ) {
            Some(f) => found.push(f),
            None => skipped.push((
                "the environment".into(),
                "BACKEND_ENDPOINT is not set".into(),
            )),
        }
    }
    if let Some(file) = &args.env_file {
        let vars = read_env_file(file)?;
        let source = file.display().to_string();
        match from_vars(&|k| vars.get(k).cloned(), &source, &source) {
            Some(f) => found.push(f),
            None => skipped.push((source, "it sets no BACKEND_ENDPOINT".into())),
        }
    }
    if let Some(dir) = &args.official {
        // `~` is expanded here too, since the default does not pass through a shell.
        let dir = match dir.strip_prefix("~") {
            Ok(rest) => {
                let home = (ctx.env)("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
                    CliError::input("HOME is not set: give the directory, --official DIR")
                })?;
                PathBuf::from(home).join(rest)
            }
            Err(_) => dir.clone(),
        };
        found.extend(read_official(&dir, &mut skipped)?);
    }

    let mut imported = Vec::new();
    let mut first = true;
    for f in found {
        let name = match (&args.name, &f.name) {
            (Some(n), None) => n.clone(),
            (_, Some(n)) => n.clone(),
            (None, None) => host_of(&f.endpoint),
        };
        let kind = match f.kind.as_deref() {
            Some(k) => k.parse::<EndpointKind>()?,
            None => EndpointKind::Api,
        };
        let email = (kind == EndpointKind::Webserver)
            .then(|| args.email.clone())
            .flatten();
        if kind == EndpointKind::Webserver && email.is_none() {
            skipped.push((
                f.source,
                "a session-mode (web UI server) account needs the login email: run again with --email EMAIL".into(),
            ));
            continue;
        }
        if kind == EndpointKind::Api && (f.access_key.is_none() || f.secret_key.is_none()) {
            skipped.push((f.source, "it has no access key and secret key".into()));
            continue;
        }
        if ctx.load()?.find(&name).is_some() {
            skipped.push((
                f.source,
                format!("a profile named {name:?} already exists; choose another with --name"),
            ));
            continue;
        }
        let draft = ProfileDraft {
            name,
            endpoint: f.endpoint.clone(),
            kind: Some(kind),
            access_key: if kind == EndpointKind::Api {
                f.access_key.clone()
            } else {
                None
            },
            email,
            domain: f.domain.clone(),
            project: f.group.clone(),
            ..ProfileDraft::default()
        };
        let profile = match ctx.store.add(draft, args.default && first) {
            Ok(p) => p,
            Err(e) => {
                skipped.push((f.source, e.to_string()));
                continue;
            }
        };
        first = false;
        if kind == EndpointKind::Api
            && let Some(sk) = &f.secret_key
        {
            store_or_undo(ctx, &profile, SecretKind::SecretKey, sk)?;
        }
        imported.push((
            profile,
            f.source,
            f.plain_text.filter(|_| kind == EndpointKind::Api),
        ));
    }

    if ctx.json {
        let rows: Vec<_> = imported
            .iter()
            .map(|(p, src, plain)| {
                json!({"name": p.name, "id": p.id, "kind": p.kind.as_str(), "endpoint": p.endpoint,
                       "source": src, "secret_still_in_plain_text": plain})
            })
            .collect();
        let skips: Vec<_> = skipped
            .iter()
            .map(|(s, r)| json!({"source": s, "reason": r}))
            .collect();
        ctx.print_json(&json!({"imported": rows, "skipped": skips}))?;
    } else {
        for (p, src, plain) in &imported {
            writeln!(
                ctx.out,
                "Imported {:?} ({}, {}) from {src}",
                p.name, p.kind, p.endpoint
            )?;
            if let Some(plain) = plain {
                writeln!(
                    ctx.out,
                    "  secret key stored in the OS keyring. Note: {plain} still holds it in plain text; remove it there once you no longer need it"
                )?;
            }
        }
        for (src, why) in &skipped {
            writeln!(ctx.err, "skipped {src}: {why}")?;
        }
    }
    if imported.is_empty() {
        return Err(CliError::input(
            "nothing was imported (see the reasons above)",
        ));
    }
    Ok(())
}

fn from_vars(get: &dyn Fn(&str) -> Option<String>, source: &str, plain: &str) -> Option<Found> {
    let get = |k: &str| {
        get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    Some(Found {
        source: source.to_owned(),
        name: None,
        endpoint: get("BACKEND_ENDPOINT")?,
        kind: get("BACKEND_ENDPOINT_TYPE"),
        access_key: get("BACKEND_ACCESS_KEY"),
        plain_text: get("BACKEND_SECRET_KEY").map(|_| plain.to_owned()),
        secret_key: get("BACKEND_SECRET_KEY").map(Secret::new),
        domain: get("BACKEND_DOMAIN"),
        group: get("BACKEND_GROUP"),
    })
}

/// `KEY=VALUE` lines; `export ` prefixes, comments and matching quotes are allowed.
fn read_env_file(path: &Path) -> Result<HashMap<String, String>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
    Ok(parse_env(&text))
}

pub fn parse_env(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = ['"', '\'']
            .iter()
            .find_map(|q| v.strip_prefix(*q).and_then(|s| s.strip_suffix(*q)))
            .unwrap_or(v);
        out.insert(k.trim().to_owned(), v.to_owned());
    }
    out
}

fn read_official(dir: &Path, skipped: &mut Vec<(String, String)>) -> Result<Vec<Found>, CliError> {
    if !dir.is_dir() {
        return Err(CliError::input(format!(
            "{} is not a directory: give the official client's configuration directory with --official DIR",
            dir.display()
        )));
    }
    let mut out = Vec::new();
    if dir.join("config.toml").exists() {
        match read_official_profile(dir, None) {
            Ok(f) => out.push(f),
            Err(why) => skipped.push((dir.display().to_string(), why)),
        }
    }
    let named = dir.join("profiles");
    if let Ok(entries) = std::fs::read_dir(&named) {
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned());
            match read_official_profile(&d, name) {
                Ok(f) => out.push(f),
                Err(why) => skipped.push((d.display().to_string(), why)),
            }
        }
    }
    if out.is_empty() && skipped.is_empty() {
        skipped.push((
            dir.display().to_string(),
            "no config.toml and no profiles/<name>/config.toml found".into(),
        ));
    }
    Ok(out)
}

fn read_official_profile(dir: &Path, name: Option<String>) -> Result<Found, String> {
    let config = read_toml(&dir.join("config.toml"))?.ok_or("config.toml is missing")?;
    let creds_path = dir.join("credentials.toml");
    let creds = read_toml(&creds_path)?.unwrap_or_default();
    let s = |t: &toml::Table, k: &str| {
        t.get(k)
            .and_then(toml::Value::as_str)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let secret_key = s(&creds, "secret_key").map(Secret::new);
    Ok(Found {
        source: dir.display().to_string(),
        name,
        endpoint: s(&config, "endpoint").ok_or("config.toml has no `endpoint`")?,
        kind: s(&config, "endpoint_type"),
        access_key: s(&creds, "access_key"),
        plain_text: secret_key
            .as_ref()
            .map(|_| creds_path.display().to_string()),
        secret_key,
        domain: s(&config, "domain"),
        group: s(&config, "group"),
    })
}

fn read_toml(path: &Path) -> Result<Option<toml::Table>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse::<toml::Table>()
            .map(Some)
            .map_err(|e| format!("{} is not valid TOML: {}", path.display(), e.message())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// A default profile name: the endpoint's host.
fn host_of(endpoint: &str) -> String {
    url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "imported".into())
}
