//! `bai profile edit NAME ...`: change fields and replace secrets. The id stays, so secrets
//! stay attached. What an edit keeps and clears is [`bai_core::profile::edit`], shared with the
//! app.

use bai_core::EndpointKind;
use bai_core::profile::{ProfilePatch, edit_profile};
use bai_secrets::{SecretKind, SecretRef};

use super::Context;
use super::fields::{ca_cert, kind_of};
use crate::cli::EditArgs;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, args: EditArgs) -> Result<(), CliError> {
    let f = &args.fields;
    let before = ctx.load()?.get(&args.name)?.clone();
    let patch = ProfilePatch {
        endpoint: f.endpoint.clone(),
        kind: f.kind.map(kind_of),
        access_key: f.access_key.clone(),
        email: f.email.clone(),
        remember_password: if f.remember_password {
            Some(true)
        } else if args.forget_password {
            Some(false)
        } else {
            None
        },
        domain: f.domain.clone(),
        project: f.project.clone(),
        resource_group: f.resource_group.clone(),
        image: f.image.clone(),
        preset: f.preset.clone(),
        app: f.app.clone(),
        resource_changes: f.resources.clone(),
        ca_cert: match (&f.ca_cert, args.no_ca_cert) {
            (Some(ca), _) => Some(Some(ca_cert(ca)?)),
            (None, true) => Some(None),
            (None, false) => None,
        },
        skip_verify: if f.insecure_skip_verify {
            Some(true)
        } else if args.verify_tls {
            Some(false)
        } else {
            None
        },
        ..ProfilePatch::default()
    };
    // Check everything (the core's rules) before asking for a secret or writing anything.
    let p = patch.apply(&before)?;

    let secret_key = if f.secret_key_stdin {
        ctx.read_secret("secret key", true)?
    } else {
        None
    };
    let password = if f.password_stdin || (f.remember_password && !before.remember_password) {
        let pw = ctx.read_secret("password", f.password_stdin)?;
        if pw.is_none() {
            return Err(CliError::input(
                "--remember-password needs the password: write it to stdin with --password-stdin, or run in a terminal to be asked",
            ));
        }
        pw
    } else {
        None
    };
    if p.kind == EndpointKind::Webserver && secret_key.is_some() {
        return Err(CliError::input(
            "a web UI server profile has no secret key; use --password-stdin",
        ));
    }

    // Nothing to write: say so instead of "Updated", which would suggest something changed.
    if p == before && secret_key.is_none() && password.is_none() {
        if ctx.json {
            let is_default = is_default(ctx, &before.id)?;
            let mut v = super::list::summary(&before, is_default);
            v["changed"] = false.into();
            return ctx.print_json(&v);
        }
        if patch == ProfilePatch::default() {
            writeln!(
                ctx.out,
                "Nothing to change: name a setting to change, e.g. `bai profile edit {:?} --project NAME` (see `bai profile edit --help`)",
                before.name
            )?;
        } else {
            writeln!(
                ctx.out,
                "No change: profile {:?} already has these settings",
                before.name
            )?;
        }
        return Ok(());
    }

    // Secrets first: if the keyring is unavailable the profile is left as it was.
    if let Some(sk) = &secret_key {
        ctx.secrets
            .set(&SecretRef::new(&p.id, SecretKind::SecretKey), sk)?;
    }
    if let Some(pw) = &password
        && p.remember_password
    {
        ctx.secrets
            .set(&SecretRef::new(&p.id, SecretKind::Password), pw)?;
    }
    // What the edit keeps and clears (login session, old kind's secret, forgotten password)
    // is the core's rule, shared with the app.
    let edited = edit_profile(&ctx.store, ctx.secrets, &before.id, &patch)?;
    let p = edited.profile;
    ctx.warn_insecure(&p)?;
    if ctx.json {
        let is_default = is_default(ctx, &p.id)?;
        let mut v = super::list::summary(&p, is_default);
        v["changed"] = true.into();
        return ctx.print_json(&v);
    }
    writeln!(ctx.out, "Updated profile {:?}", p.name)?;
    if secret_key.is_some() {
        writeln!(ctx.out, "  secret key replaced in the OS keyring")?;
    }
    if password.is_some() && p.remember_password {
        writeln!(ctx.out, "  password stored in the OS keyring")?;
    }
    if edited.secrets_deleted.contains(&SecretKind::Password) {
        writeln!(ctx.out, "  stored password deleted")?;
    }
    if edited.login_session_cleared {
        writeln!(ctx.out, "  login session cleared (log in again)")?;
    }
    Ok(())
}

/// Whether the profile with this id is the default (for the `--json` result).
fn is_default(ctx: &Context<'_>, id: &str) -> Result<bool, CliError> {
    Ok(ctx
        .store
        .load()?
        .default_profile()
        .is_some_and(|d| d.id == id))
}
