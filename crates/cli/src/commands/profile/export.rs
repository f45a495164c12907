//! `bai profile export [NAME...]`: the profiles as a document `bai profile import --file`
//! reads (format: [`bai_core::profile::transfer::document`]). No secret unless
//! `--with-secrets`; then never silently: they go only to a new file readable by the user
//! alone or, when asked with `--output -`, to stdout, and stderr says so every time.

use std::io::Write;
use std::path::Path;

use bai_core::EndpointKind;
use bai_core::profile::transfer::document::{Document, ExportedProfile};
use bai_secrets::{SecretKind, SecretRef};

use super::Context;
use crate::cli::ExportArgs;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, args: ExportArgs) -> Result<(), CliError> {
    let to_file = args.output.as_deref().filter(|p| *p != Path::new("-"));
    if args.with_secrets && args.output.is_none() {
        return Err(CliError::input(
            "--with-secrets writes secret keys and passwords in plain text: give --output FILE (created so that only you can read it), or --output - to print them on stdout",
        ));
    }
    let profiles = ctx.load()?;
    let chosen = if args.names.is_empty() {
        profiles.list().to_vec()
    } else {
        args.names
            .iter()
            .map(|n| profiles.get(n).cloned())
            .collect::<Result<Vec<_>, _>>()?
    };
    let default_id = profiles.default_profile().map(|p| p.id.clone());
    let mut doc = Document::default();
    let mut without = Vec::new();
    for p in &chosen {
        let mut e = ExportedProfile::from_profile(p, default_id.as_deref() == Some(&p.id));
        if args.with_secrets {
            // A webserver profile's password is in the keyring only when it is remembered;
            // the login session is not exported: it belongs to this machine and expires.
            let kind = match p.kind {
                EndpointKind::Api => Some(SecretKind::SecretKey),
                EndpointKind::Webserver => p.remember_password.then_some(SecretKind::Password),
            };
            if let Some(kind) = kind {
                let value = ctx.secrets.get(&SecretRef::new(&p.id, kind))?;
                match (kind, value) {
                    (SecretKind::SecretKey, Some(v)) => e.secrets.secret_key = Some(v),
                    (_, Some(v)) => e.secrets.password = Some(v),
                    (_, None) => without.push(p.name.clone()),
                }
            }
        }
        doc.profiles.push(e);
    }
    let text = if ctx.json {
        let v = doc.to_json()?;
        serde_json::to_string_pretty(&v)
            .map_err(|e| CliError::input(format!("cannot encode JSON: {e}")))?
            + "\n"
    } else {
        doc.to_toml()?
    };
    for name in &without {
        writeln!(
            ctx.err,
            "warning: the keyring holds no secret for {name:?}; it is exported without one"
        )?;
    }
    let secrets = doc
        .profiles
        .iter()
        .filter(|p| !p.secrets.is_empty())
        .count();
    let Some(path) = to_file else {
        if secrets > 0 {
            writeln!(
                ctx.err,
                "warning: the output holds the secrets of {secrets} profile(s) in plain text; keep it private and delete it once imported"
            )?;
        }
        write!(ctx.out, "{text}")?;
        return Ok(());
    };
    // A new file only (no overwrite, no symlink followed), 0600 from the start.
    let written = bai_core::private_fs::create_new_private(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it already exists; choose another name or remove it first".to_owned()
        } else {
            e.to_string()
        };
        return Err(CliError::input(format!(
            "cannot write {}: {why}",
            path.display()
        )));
    }
    if secrets > 0 {
        writeln!(
            ctx.err,
            "warning: {} holds the secrets of {secrets} profile(s) in plain text; only you can read it, but delete it once imported",
            path.display()
        )?;
    }
    if ctx.json {
        ctx.print_json(&serde_json::json!({
            "exported": doc.profiles.len(), "file": path.display().to_string(), "with_secrets": secrets,
        }))
    } else {
        writeln!(
            ctx.out,
            "Exported {} profile(s) to {}",
            doc.profiles.len(),
            path.display()
        )?;
        Ok(())
    }
}
