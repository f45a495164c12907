//! `bai profile login [NAME]`: the "log in again" path of `login-required`. Keeps the new
//! login-session id in the keyring; the password only with --remember-password.

use bai_core::EndpointKind;
use bai_core::account;
use bai_core::client::LoginOptions;
use bai_secrets::{SecretKind, SecretRef};
use serde_json::json;

use super::Context;
use crate::report::CliError;

pub async fn run(
    ctx: &mut Context<'_>,
    name: Option<String>,
    password_stdin: bool,
    options: LoginOptions,
    remember: bool,
) -> Result<(), CliError> {
    let mut p = ctx.pick(name)?;
    if p.kind != EndpointKind::Webserver {
        return Err(CliError::input(format!(
            "profile {:?} signs every request with its keypair and has nothing to log in to; check it with `bai profile test {:?}`",
            p.name, p.name
        )));
    }
    ctx.warn_insecure(&p)?;
    let password = ctx.read_secret("password", password_stdin)?.ok_or_else(|| {
        CliError::input(
            "no password given: write it to stdin with --password-stdin, or run in a terminal to be asked",
        )
    })?;
    let email = p.email.clone().unwrap_or_default();
    let cfg = account::client_config(&p)?;
    account::log_in_with(&p, cfg, ctx.secrets, &email, &password, &options).await?;
    if remember {
        ctx.secrets
            .set(&SecretRef::new(&p.id, SecretKind::Password), &password)?;
        if !p.remember_password {
            p.remember_password = true;
            p = ctx.store.replace(p)?;
        }
    }
    if ctx.json {
        return ctx.print_json(&json!({
            "name": p.name,
            "email": email,
            "logged_in": true,
            "password_remembered": p.remember_password,
        }));
    }
    writeln!(ctx.out, "Logged in to {:?} as {email}", p.name)?;
    if remember {
        writeln!(ctx.out, "  password stored in the OS keyring")?;
    }
    Ok(())
}
