//! `bai profile edit NAME ...`: change fields and replace secrets. The id stays, so secrets
//! stay attached.

use bai_core::Endpoint;
use bai_core::EndpointKind;
use bai_secrets::{SecretKind, SecretRef};

use super::Context;
use super::fields::{ca_cert, kind_of, resources};
use crate::cli::EditArgs;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, args: EditArgs) -> Result<(), CliError> {
    let f = &args.fields;
    let mut p = ctx.load()?.get(&args.name)?.clone();
    let before = p.clone();
    if let Some(e) = &f.endpoint {
        p.endpoint = Endpoint::parse(e)?.to_string();
    }
    if let Some(k) = f.kind {
        p.kind = kind_of(k);
    }
    let set = |slot: &mut Option<String>, v: &Option<String>| {
        if let Some(v) = v {
            // An empty value clears an optional field.
            *slot = Some(v.trim().to_owned()).filter(|s| !s.is_empty());
        }
    };
    set(&mut p.access_key, &f.access_key);
    set(&mut p.email, &f.email);
    set(&mut p.project, &f.project);
    set(&mut p.resource_group, &f.resource_group);
    set(&mut p.quick_start.image, &f.image);
    set(&mut p.quick_start.preset, &f.preset);
    set(&mut p.quick_start.app, &f.app);
    if let Some(d) = &f.domain {
        p.domain = d.trim().to_owned();
    }
    if !f.resources.is_empty() {
        p.quick_start.resources = resources(&f.resources)?;
    }
    if let Some(ca) = &f.ca_cert {
        p.tls.ca_cert = Some(ca_cert(ca)?);
    }
    if args.no_ca_cert {
        p.tls.ca_cert = None;
    }
    if f.insecure_skip_verify {
        p.tls.skip_verify = true;
    }
    if args.verify_tls {
        p.tls.skip_verify = false;
    }
    if f.remember_password {
        p.remember_password = true;
    }
    if args.forget_password {
        p.remember_password = false;
    }
    p.validate()?;

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
    if args.forget_password {
        ctx.secrets
            .delete(&SecretRef::new(&p.id, SecretKind::Password))?;
    }
    // A new endpoint or account makes the old login session meaningless.
    if (p.endpoint != before.endpoint || p.email != before.email || p.kind != before.kind)
        && let Err(e) = ctx
            .secrets
            .delete(&SecretRef::new(&p.id, SecretKind::LoginSession))
    {
        tracing::debug!("could not drop the old login session: {e}");
    }
    let p = ctx.store.replace(p)?;
    ctx.warn_insecure(&p)?;
    if ctx.json {
        return ctx.print_json(&super::list::summary(&p, false));
    }
    writeln!(ctx.out, "Updated profile {:?}", p.name)?;
    if secret_key.is_some() {
        writeln!(ctx.out, "  secret key replaced in the OS keyring")?;
    }
    if password.is_some() && p.remember_password {
        writeln!(ctx.out, "  password stored in the OS keyring")?;
    }
    if args.forget_password {
        writeln!(ctx.out, "  stored password deleted")?;
    }
    Ok(())
}
