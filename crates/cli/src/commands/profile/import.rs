//! `bai profile import`: from the official client (its folder, its `BACKEND_*` variables and
//! `.env` files) or from a document `bai profile export` wrote. How each source is read lives
//! in [`bai_core::profile::transfer`]; this file names the profiles, settles clashes and the
//! default, puts secrets in the keyring and tells the user where they still sit in plain text.

use std::path::{Path, PathBuf};

use bai_core::EndpointKind;
use bai_core::profile::transfer::document::Document;
use bai_core::profile::transfer::env::{account_from_vars, find_dotenv, parse_dotenv};
use bai_core::profile::transfer::official::read_official_dir;
use bai_core::profile::transfer::{FoundAccount, name_from_endpoint};
use bai_core::profile::{Profile, ProfileDraft, normalize_name};
use bai_secrets::{Secret, SecretKind, SecretRef};
use serde_json::json;

use super::{Context, store_or_undo};
use crate::cli::ImportArgs;
use crate::report::CliError;

/// A profile about to be imported.
struct Candidate {
    source: String,
    name: String,
    draft: ProfileDraft,
    secret_key: Option<Secret>,
    password: Option<Secret>,
    /// Where the secret still sits in plain text (the official client's files, a .env).
    plain_text: Option<String>,
    /// The source's current (official) or default (export document) profile.
    current: bool,
    notes: Vec<String>,
}

/// What happened to one candidate.
struct Imported {
    profile: Profile,
    source: String,
    replaced: bool,
    renamed_from: Option<String>,
    plain_text: Option<String>,
    current: bool,
    notes: Vec<String>,
}

#[derive(Default)]
struct Found {
    candidates: Vec<Candidate>,
    skipped: Vec<(String, String)>,
    notes: Vec<String>,
    /// A document that carried secrets in plain text.
    document_with_secrets: Option<String>,
}

pub fn run(ctx: &mut Context<'_>, args: ImportArgs) -> Result<(), CliError> {
    if !args.from_env && args.env_file.is_none() && args.official.is_none() && args.file.is_none() {
        return Err(CliError::input(
            "say where to import from: --official [DIR] (default ~/.backend.ai), --from-env, --env-file FILE, or --file FILE (what `bai profile export` wrote)",
        ));
    }
    let mut found = Found::default();
    if let Some(file) = &args.file {
        from_document(ctx, file, &mut found)?;
    }
    if args.from_env || args.env_file.is_some() {
        from_variables(ctx, &args, &mut found)?;
    }
    if let Some(dir) = &args.official {
        from_official(ctx, &args, dir, &mut found)?;
    }
    apply(ctx, &args, found)
}

fn from_document(ctx: &mut Context<'_>, file: &Path, found: &mut Found) -> Result<(), CliError> {
    let (source, text) = if file == Path::new("-") {
        let mut text = String::new();
        ctx.stdin
            .read_to_string(&mut text)
            .map_err(|e| CliError::input(format!("cannot read the document from stdin: {e}")))?;
        ("stdin".to_owned(), text)
    } else {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", file.display())))?;
        (file.display().to_string(), text)
    };
    let parsed = Document::parse(&text).map_err(|e| CliError::input(format!("{source}: {e}")))?;
    if parsed.has_secrets() {
        found.document_with_secrets = Some(source.clone());
    }
    for entry in parsed.entries {
        let p = match entry {
            Ok(p) => p,
            Err(why) => {
                found.skipped.push((source.clone(), why));
                continue;
            }
        };
        let mut notes = Vec::new();
        let mut password = p.secrets.password.clone();
        if password.is_some() && !p.remember_password {
            notes.push(
                "its password was not stored: the profile does not remember passwords".into(),
            );
            password = None;
        }
        if p.kind == EndpointKind::Api && p.secrets.secret_key.is_none() {
            notes.push(format!(
                "no secret key came with it: give it with `bai profile edit {:?} --secret-key-stdin`",
                p.name
            ));
        }
        found.candidates.push(Candidate {
            source: source.clone(),
            name: p.name.clone(),
            draft: p.draft(&p.name),
            secret_key: p.secrets.secret_key.clone(),
            password,
            plain_text: None,
            current: p.default,
            notes,
        });
    }
    Ok(())
}

fn from_variables(
    ctx: &mut Context<'_>,
    args: &ImportArgs,
    found: &mut Found,
) -> Result<(), CliError> {
    let env = ctx.env;
    // The official client lays the first .env from the current folder upward over the
    // environment; --env-file names the file instead.
    let dotenv_path: Option<PathBuf> = match &args.env_file {
        Some(f) => Some(f.clone()),
        None => std::env::current_dir().ok().and_then(|d| find_dotenv(&d)),
    };
    let dotenv = match &dotenv_path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::input(format!("cannot read {}: {e}", path.display())))?;
            let parsed = parse_dotenv(&text, &|k| env(k));
            for line in &parsed.bad_lines {
                found.notes.push(format!(
                    "{}: line {line} is not KEY=VALUE; skipped, as the official client skips it",
                    path.display()
                ));
            }
            if args.env_file.is_none() {
                found.notes.push(format!(
                    "read {} over the environment, as the official client does",
                    path.display()
                ));
            }
            Some((path.display().to_string(), parsed.vars))
        }
        None => None,
    };
    let source = match (&dotenv, args.from_env) {
        (Some((p, _)), true) => format!("the environment and {p}"),
        (Some((p, _)), false) => p.clone(),
        (None, _) => "the environment".to_owned(),
    };
    let from_file = |k: &str| dotenv.as_ref().and_then(|(_, vars)| vars.get(k).cloned());
    let get = |k: &str| from_file(k).or_else(|| if args.from_env { env(k) } else { None });
    let plain = match &dotenv {
        Some((p, _))
            if from_file("BACKEND_SECRET_KEY")
                .or(from_file("SORNA_SECRET_KEY"))
                .is_some() =>
        {
            p.clone()
        }
        _ => "the BACKEND_SECRET_KEY variable".to_owned(),
    };
    match account_from_vars(&get, &source, &plain) {
        Err(e) => found.skipped.push((source, e.to_string())),
        Ok(None) => found
            .skipped
            .push((source, "BACKEND_ENDPOINT is not set".into())),
        Ok(Some(a)) => {
            let name = args
                .name
                .clone()
                .unwrap_or_else(|| name_from_endpoint(&a.endpoint));
            push_found(found, a, name, args, false);
        }
    }
    Ok(())
}

fn from_official(
    ctx: &mut Context<'_>,
    args: &ImportArgs,
    dir: &Path,
    found: &mut Found,
) -> Result<(), CliError> {
    // `~` is expanded here, since the default does not pass through a shell.
    let dir = match dir.strip_prefix("~") {
        Ok(rest) => {
            let home = (ctx.env)("HOME").filter(|h| !h.is_empty()).ok_or_else(|| {
                CliError::input("HOME is not set: give the folder, --official DIR")
            })?;
            PathBuf::from(home).join(rest)
        }
        Err(_) => dir.to_path_buf(),
    };
    let official = read_official_dir(&dir)?;
    found.notes.extend(official.notes.iter().cloned());
    found.skipped.extend(official.skipped.iter().cloned());
    for a in &official.accounts {
        let name = match (&a.name, &args.name) {
            (Some(n), _) => n.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => name_from_endpoint(&a.endpoint),
        };
        push_found(found, a.clone(), name, args, official.is_current(a));
    }
    Ok(())
}

fn push_found(found: &mut Found, a: FoundAccount, name: String, args: &ImportArgs, current: bool) {
    let draft = match a.draft(&name, args.email.as_deref()) {
        Ok(d) => d,
        Err(why) => {
            found.skipped.push((a.source, why));
            return;
        }
    };
    let mut notes = a.notes;
    if a.kind == EndpointKind::Webserver {
        notes.push(format!(
            "the official client's login session is not carried over: log in with `bai profile login {name:?}`"
        ));
    }
    let api = a.kind == EndpointKind::Api;
    found.candidates.push(Candidate {
        source: a.source,
        name,
        draft,
        secret_key: a.secret_key.filter(|_| api),
        password: None,
        plain_text: a.plain_text.filter(|_| api),
        current,
        notes,
    });
}

fn apply(ctx: &mut Context<'_>, args: &ImportArgs, mut found: Found) -> Result<(), CliError> {
    let had_default = ctx.load()?.default_profile().is_some();
    let mut imported: Vec<Imported> = Vec::new();
    for c in std::mem::take(&mut found.candidates) {
        match import_one(ctx, args, c)? {
            Ok(i) => imported.push(i),
            Err(skip) => found.skipped.push(skip),
        }
    }
    // The source's current profile becomes the default when the user has none (or asks);
    // otherwise they are told how to make it so.
    let target = imported
        .iter()
        .find(|i| i.current)
        .or_else(|| imported.first().filter(|_| args.default));
    let mut default = None;
    if let Some(t) = target {
        if args.default || !had_default {
            ctx.store.set_default(&t.profile.id)?;
            default = Some(t.profile.name.clone());
        } else {
            found.notes.push(format!(
                "{:?} is the current profile of {}; to make it your default: bai profile default {:?}",
                t.profile.name, t.source, t.profile.name
            ));
        }
    }
    if let Some(doc) = &found.document_with_secrets {
        writeln!(
            ctx.err,
            "warning: {doc} holds secrets in plain text; delete it (or keep it where only you can read it) once you no longer need it"
        )?;
    }
    if ctx.json {
        let rows: Vec<_> = imported
            .iter()
            .map(|i| {
                json!({"name": i.profile.name, "id": i.profile.id, "kind": i.profile.kind.as_str(),
                       "endpoint": i.profile.endpoint, "source": i.source, "replaced": i.replaced,
                       "renamed_from": i.renamed_from, "current_in_source": i.current,
                       "secret_still_in_plain_text": i.plain_text, "notes": i.notes})
            })
            .collect();
        let skips: Vec<_> = found
            .skipped
            .iter()
            .map(|(s, r)| json!({"source": s, "reason": r}))
            .collect();
        ctx.print_json(
            &json!({"imported": rows, "skipped": skips, "default": default, "notes": found.notes}),
        )?;
    } else {
        for i in &imported {
            let how = match (&i.renamed_from, i.replaced) {
                (Some(old), _) => format!(" (as a profile named {old:?} exists)"),
                (None, true) => " (replacing the profile of that name)".to_owned(),
                (None, false) => String::new(),
            };
            writeln!(
                ctx.out,
                "Imported {:?} ({}, {}) from {}{how}",
                i.profile.name, i.profile.kind, i.profile.endpoint, i.source
            )?;
            if let Some(plain) = &i.plain_text {
                let others = if readable_by_others(plain) {
                    ", readable by other users of this machine"
                } else {
                    ""
                };
                writeln!(
                    ctx.out,
                    "  secret key stored in the OS keyring. Note: {plain} still holds it in plain text{others}; remove it there once you no longer need it"
                )?;
            }
            for n in &i.notes {
                writeln!(ctx.out, "  note: {n}")?;
            }
        }
        if let Some(d) = &default {
            writeln!(ctx.out, "{d:?} is now the default profile")?;
        }
        for n in &found.notes {
            writeln!(ctx.err, "note: {n}")?;
        }
        for (src, why) in &found.skipped {
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

/// Import one candidate: `Ok(Err(..))` is a skip with its reason; `Err` stops the import
/// (the profile file or the keyring failed).
fn import_one(
    ctx: &mut Context<'_>,
    args: &ImportArgs,
    c: Candidate,
) -> Result<Result<Imported, (String, String)>, CliError> {
    let name = match normalize_name(&c.name) {
        Ok(n) => n,
        Err(e) => return Ok(Err((c.source, e.to_string()))),
    };
    let profiles = ctx.load()?;
    let existing = profiles.list().iter().find(|p| p.name == name).cloned();
    let secrets = [
        (SecretKind::SecretKey, &c.secret_key),
        (SecretKind::Password, &c.password),
    ];
    let mut draft = c.draft;
    let mut renamed_from = None;
    let mut replaced = false;
    let profile = match existing {
        Some(old) if args.replace => {
            let mut new = match draft.into_profile() {
                Ok(p) => p,
                Err(e) => return Ok(Err((c.source, e.to_string()))),
            };
            new.id = old.id.clone();
            let changed = (&old.endpoint, old.kind, &old.access_key, &old.email)
                != (&new.endpoint, new.kind, &new.access_key, &new.email);
            let new = ctx.store.replace(new)?;
            // Another account's secrets must not stay behind under the same id.
            if changed {
                ctx.secrets.delete_profile(&new.id)?;
            }
            for (kind, value) in secrets {
                if let Some(v) = value {
                    ctx.secrets.set(&SecretRef::new(&new.id, kind), v)?;
                }
            }
            replaced = true;
            new
        }
        Some(_) if !args.rename => {
            return Ok(Err((
                c.source,
                format!(
                    "a profile named {name:?} already exists; pass --rename to import it under another name, or --replace to overwrite it"
                ),
            )));
        }
        existing => {
            if existing.is_some() {
                draft.name = (2..)
                    .map(|n| format!("{name} ({n})"))
                    .find(|n| profiles.find(n).is_none())
                    .unwrap_or_default();
                renamed_from = Some(name);
            }
            let profile = match ctx.store.add(draft, false) {
                Ok(p) => p,
                Err(e) => return Ok(Err((c.source, e.to_string()))),
            };
            for (kind, value) in secrets {
                if let Some(v) = value {
                    store_or_undo(ctx, &profile, kind, v)?;
                }
            }
            profile
        }
    };
    Ok(Ok(Imported {
        profile,
        source: c.source,
        replaced,
        renamed_from,
        plain_text: c.plain_text.filter(|_| c.secret_key.is_some()),
        current: c.current,
        notes: c.notes,
    }))
}

/// Whether other users of this machine can read `path`: the official client writes
/// `credentials.toml` with the default umask, so usually 0644.
fn readable_by_others(path: &str) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o044 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}
