//! `bai profile add NAME --endpoint URL ...`

use bai_core::EndpointKind;
use bai_core::account;
use bai_core::client::{Detected, LoginOptions};
use bai_core::profile::{LaunchPreset, Profile, ProfileDraft, TlsSettings};
use bai_secrets::{Secret, SecretKind};
use serde_json::json;

use super::fields::{ca_cert, infer_kind, resources};
use super::{Context, store_or_undo};
use crate::cli::AddArgs;
use crate::report::CliError;

pub async fn run(ctx: &mut Context<'_>, args: AddArgs) -> Result<(), CliError> {
    let f = args.fields;
    let kind = infer_kind(&f)?;
    let inferred = f.kind.is_none();
    let endpoint = f.endpoint.clone().ok_or_else(|| {
        CliError::input("--endpoint URL is required, e.g. --endpoint https://api.example.com")
    })?;
    match kind {
        EndpointKind::Api if f.password_stdin || f.remember_password || f.email.is_some() => {
            return Err(CliError::input(
                "--email, --password-stdin and --remember-password are for web UI server profiles; this one signs with a keypair (--access-key)",
            ));
        }
        EndpointKind::Api if args.otp.is_some() || args.force => {
            return Err(CliError::input(
                "--otp and --force are for logging in to web UI server profiles; this one signs with a keypair (--access-key)",
            ));
        }
        EndpointKind::Webserver if f.secret_key_stdin || f.access_key.is_some() => {
            return Err(CliError::input(
                "--access-key and --secret-key-stdin are for manager API profiles; this one logs in with --email and a password",
            ));
        }
        _ => {}
    }
    let mut draft = ProfileDraft {
        name: args.name,
        endpoint,
        kind: Some(kind),
        access_key: f.access_key.clone(),
        email: f.email.clone(),
        remember_password: f.remember_password,
        domain: f.domain.clone(),
        project: f.project.clone(),
        resource_group: f.resource_group.clone(),
        quick_start: LaunchPreset {
            image: f.image.clone(),
            preset: f.preset.clone(),
            resources: resources(&f.resources)?,
            app: f.app.clone(),
        },
        tls: TlsSettings {
            ca_cert: f.ca_cert.as_deref().map(ca_cert).transpose()?,
            skip_verify: f.insecure_skip_verify,
        },
    };
    // Validate everything before asking for a secret or writing anything.
    let candidate = draft.clone().into_profile()?;
    if ctx.load()?.find(&draft.name).is_some() {
        return Err(bai_core::Error::ProfileExists {
            name: draft.name.trim().to_owned(),
        }
        .into());
    }
    if args.offline && f.password_stdin && !f.remember_password {
        return Err(CliError::input(
            "with --offline nothing would use the password (there is no login): add --remember-password to keep it for later, or leave out --password-stdin",
        ));
    }
    // Contact the endpoint before asking for a secret: an address that cannot work is refused
    // before anyone types a key. The endpoint stored is the one that answered, so a pasted web
    // UI page path is dropped here exactly as `bai detect` drops it (and says so).
    let found = if args.offline {
        None
    } else {
        let found = check_endpoint(&candidate).await?;
        if let Some(note) = found.path_note() {
            writeln!(ctx.err, "note: {note}")?;
        }
        draft.endpoint = found.endpoint.to_string();
        Some(found)
    };

    let secret_key = match kind {
        EndpointKind::Api => Some(ctx.read_secret("secret key", f.secret_key_stdin)?.ok_or_else(|| {
            CliError::input(
                "no secret key given: write it to stdin with --secret-key-stdin (e.g. `bai profile add ... --secret-key-stdin < key.txt`), or run in a terminal to be asked",
            )
        })?),
        EndpointKind::Webserver => None,
    };
    let login = LoginOptions {
        otp: args.otp.clone(),
        force: args.force,
        ..LoginOptions::default()
    };
    let wants_login = args.otp.is_some() || args.force;
    let password = if kind == EndpointKind::Webserver
        && (f.password_stdin || f.remember_password || wants_login)
    {
        let p = ctx.read_secret("password", f.password_stdin)?;
        if p.is_none() && (f.remember_password || wants_login) {
            return Err(CliError::input(format!(
                "{} needs the password: write it to stdin with --password-stdin, or run in a terminal to be asked",
                if f.remember_password {
                    "--remember-password"
                } else if args.otp.is_some() {
                    "--otp"
                } else {
                    "--force"
                }
            )));
        }
        p
    } else {
        None
    };

    let profile = ctx.store.add(draft, args.default)?;
    if let Some(sk) = &secret_key {
        store_or_undo(ctx, &profile, SecretKind::SecretKey, sk)?;
    }
    if profile.remember_password
        && let Some(pw) = &password
    {
        store_or_undo(ctx, &profile, SecretKind::Password, pw)?;
    }
    let logged_in = match &password {
        Some(pw) => first_login(ctx, &profile, pw, &login).await?,
        None => false,
    };
    let is_default = ctx
        .store
        .load()?
        .default_profile()
        .is_some_and(|d| d.id == profile.id);
    ctx.warn_insecure(&profile)?;
    match &found {
        Some(found) if inferred => warn_if_other_kind(ctx, &profile, found)?,
        Some(_) => {}
        None => writeln!(
            ctx.err,
            "warning: --offline: {} was not contacted, so nothing checked that it is {}; check it with `bai profile test {:?}` once it is reachable",
            profile.endpoint,
            match profile.kind {
                EndpointKind::Api => "a Backend.AI manager API",
                EndpointKind::Webserver => "a Backend.AI web UI server",
            },
            profile.name
        )?,
    }
    if ctx.json {
        return ctx.print_json(&json!({
            "name": profile.name,
            "id": profile.id,
            "kind": profile.kind.as_str(),
            "endpoint": profile.endpoint,
            "default": is_default,
            "logged_in": logged_in,
            "checked": found.is_some(),
        }));
    }
    writeln!(
        ctx.out,
        "Added profile {:?} ({}, {}){}",
        profile.name,
        profile.kind,
        profile.endpoint,
        if is_default { ", the default" } else { "" }
    )?;
    if secret_key.is_some() {
        writeln!(ctx.out, "  secret key stored in the OS keyring")?;
    }
    if profile.remember_password {
        writeln!(ctx.out, "  password stored in the OS keyring")?;
    }
    if logged_in {
        writeln!(ctx.out, "  logged in")?;
    }
    Ok(())
}

/// Log in right away so the profile works at once. When the server refuses the login (wrong
/// email or password, a missing TOTP code, the account at its concurrent-login limit), the
/// profile is removed again with its secrets, so a mistyped password never leaves a profile
/// that cannot work. The endpoint answered moments ago (see [`check_endpoint`]), so a network
/// failure here is only a warning; a keyring failure fails `add` (the profile could not keep
/// its login anyway).
async fn first_login(
    ctx: &mut Context<'_>,
    profile: &Profile,
    password: &Secret,
    options: &LoginOptions,
) -> Result<bool, CliError> {
    use bai_core::Error;
    let cfg = account::client_config(profile)?;
    let email = profile.email.clone().unwrap_or_default();
    match account::log_in_with(profile, cfg, ctx.secrets, &email, password, options).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_login_refusal() || matches!(e, Error::Secrets(_)) => {
            let _ = ctx.secrets.delete_profile(&profile.id);
            if let Err(undo) = ctx.store.remove(&profile.id) {
                tracing::warn!("could not remove the half-added profile: {undo}");
            }
            Err(not_added(e))
        }
        Err(e) => {
            writeln!(
                ctx.err,
                "warning: the profile was added but logging in failed: {e}\n  log in later with `bai profile login {:?}`",
                profile.name
            )?;
            Ok(false)
        }
    }
}

/// The refusal, said for `add`: the profile is not there, so the fix is to run `add` again
/// (the core messages point at `bai profile login`, which needs an existing profile).
fn not_added(e: bai_core::Error) -> CliError {
    use bai_core::Error;
    let code = e.code();
    let message = match &e {
        Error::OtpRequired => "one-time password required: the account uses two-factor authentication. The profile was not added; run the command again with `--otp CODE`, the code from your authenticator app".to_owned(),
        Error::ActiveLoginSessionExists { .. } => "this account is already signed in elsewhere as many times as its limit allows (the site's maximum of concurrent logins). The profile was not added; to sign in here anyway, run the command again with `--force`, which logs out the oldest other session".to_owned(),
        Error::Secrets(_) => e.to_string(),
        _ => format!("{e}. The profile was not added"),
    };
    CliError { code, message }
}

/// Ask the endpoint what it is, with the profile's TLS settings, the way `bai detect` does.
/// Anything but a Backend.AI answer (no connection, DNS, TLS, a site that is not Backend.AI)
/// refuses the add: such a profile could not work. `--offline` is the way to keep one anyway.
async fn check_endpoint(profile: &Profile) -> Result<Detected, CliError> {
    let config = account::client_config(profile)?;
    bai_core::client::detect_with(&config).await.map_err(|e| {
        let why = e.to_string();
        let stop = if why.ends_with(['.', '?', '!']) { "" } else { "." };
        CliError {
            code: e.code(),
            message: format!(
                "{why}{stop} The profile was not added: check the address (`bai detect URL` tells what answers there), or add it anyway with --offline to set it up before the server can be reached"
            ),
        }
    })
}

/// When the kind was only inferred from the flags, warn if the server says it is the other.
fn warn_if_other_kind(
    ctx: &mut Context<'_>,
    profile: &Profile,
    found: &Detected,
) -> Result<(), CliError> {
    if found.kind != profile.kind {
        let (flag, what) = match found.kind {
            EndpointKind::Api => (
                "--kind api --access-key AK --secret-key-stdin",
                "a manager API",
            ),
            EndpointKind::Webserver => ("--kind webserver --email EMAIL", "a web UI server"),
        };
        writeln!(
            ctx.err,
            "warning: {} looks like {what}, but profile {:?} was added as {}; if signing in fails, fix it with `bai profile edit {:?} {flag}`",
            profile.endpoint, profile.name, profile.kind, profile.name
        )?;
    }
    Ok(())
}
