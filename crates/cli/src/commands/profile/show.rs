//! `bai profile show NAME`: every field; secrets only as masked hints. A missing keyring
//! degrades to "unknown" instead of failing.

use bai_core::EndpointKind;
use bai_core::profile::Profile;
use bai_secrets::SecretKind;
use serde_json::{Value, json};

use super::{Context, SecretState};
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, name: Option<String>) -> Result<(), CliError> {
    let p = ctx.pick(name)?;
    let is_default = ctx
        .store
        .load()?
        .default_profile()
        .is_some_and(|d| d.id == p.id);
    let secrets = secret_lines(ctx, &p);
    if ctx.json {
        let v = show_json(ctx, &p, is_default);
        return ctx.print_json(&v);
    }
    let mut rows: Vec<(&str, String)> = vec![
        ("name", p.name.clone()),
        ("id", p.id.clone()),
        ("kind", p.kind.as_str().into()),
        ("endpoint", p.endpoint.clone()),
        ("default", if is_default { "yes" } else { "no" }.into()),
    ];
    match p.kind {
        EndpointKind::Api => rows.push(("access key", p.access_key.clone().unwrap_or_default())),
        EndpointKind::Webserver => {
            rows.push(("email", p.email.clone().unwrap_or_default()));
            rows.push((
                "remember password",
                if p.remember_password { "yes" } else { "no" }.into(),
            ));
        }
    }
    for (k, v) in &secrets {
        rows.push((k, v.clone()));
    }
    rows.push(("domain", p.domain.clone()));
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    rows.push(("project", opt(&p.project)));
    rows.push(("resource group", opt(&p.resource_group)));
    rows.push(("image", opt(&p.quick_start.image)));
    rows.push(("preset", opt(&p.quick_start.preset)));
    if !p.quick_start.resources.is_empty() {
        let r: Vec<String> = p
            .quick_start
            .resources
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        rows.push(("resources", r.join(" ")));
    }
    rows.push((
        "app",
        p.quick_start
            .app
            .clone()
            .unwrap_or_else(|| "jupyterlab".into()),
    ));
    if let Some(ca) = &p.tls.ca_cert {
        rows.push(("ca cert", ca.display().to_string()));
    }
    if p.tls.skip_verify {
        rows.push(("tls", "NOT VERIFIED (--insecure-skip-verify)".into()));
    }
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        writeln!(ctx.out, "{:w$}  {v}", format!("{k}:"), w = w + 1)?;
    }
    Ok(())
}

/// Every field, absent ones as `null`; each secret of the profile's kind as an object with a
/// `state` code (`stored`, `missing`, `unknown`) and, for a stored secret key, its mask.
fn show_json(ctx: &Context<'_>, p: &Profile, is_default: bool) -> Value {
    let secrets: serde_json::Map<String, Value> = secret_kinds(p.kind)
        .iter()
        .map(|(label, kind)| {
            let state = ctx.secret_state(p, *kind);
            let (code, masked) = match &state {
                SecretState::Stored(s) if *kind == SecretKind::SecretKey => {
                    ("stored", json!(s.masked()))
                }
                SecretState::Stored(_) => ("stored", Value::Null),
                SecretState::Missing => ("missing", Value::Null),
                SecretState::Unknown => ("unknown", Value::Null),
            };
            (
                label.replace(' ', "_"),
                json!({"state": code, "masked": masked}),
            )
        })
        .collect();
    json!({
        "name": p.name,
        "id": p.id,
        "kind": p.kind.as_str(),
        "endpoint": p.endpoint,
        "default": is_default,
        "access_key": p.access_key,
        "email": p.email,
        "remember_password": p.remember_password,
        "domain": p.domain,
        "project": p.project,
        "resource_group": p.resource_group,
        "quick_start": {
            "image": p.quick_start.image,
            "preset": p.quick_start.preset,
            "resources": p.quick_start.resources,
            "app": p.quick_start.app,
        },
        "tls": {
            "ca_cert": p.tls.ca_cert.as_ref().map(|c| c.display().to_string()),
            "skip_verify": p.tls.skip_verify,
        },
        "secrets": secrets,
    })
}

/// One line per secret the profile's kind uses: masked when stored.
fn secret_lines(ctx: &Context<'_>, p: &Profile) -> Vec<(&'static str, String)> {
    secret_kinds(p.kind)
        .iter()
        .map(|(label, kind)| (*label, state_text(*kind, &ctx.secret_state(p, *kind))))
        .collect()
}

/// The secrets a profile of this kind can have in the keyring, with their labels.
pub fn secret_kinds(kind: EndpointKind) -> &'static [(&'static str, SecretKind)] {
    match kind {
        EndpointKind::Api => &[("secret key", SecretKind::SecretKey)],
        EndpointKind::Webserver => &[
            ("password", SecretKind::Password),
            ("login session", SecretKind::LoginSession),
        ],
    }
}

/// What is shown of a secret: no character of a secret is ever shown, a secret key as the
/// fixed mask, a password or session id as "stored".
pub fn state_text(kind: SecretKind, state: &SecretState) -> String {
    match state {
        SecretState::Stored(s) if kind == SecretKind::SecretKey => s.masked(),
        SecretState::Stored(_) => "stored".into(),
        SecretState::Missing => "not stored".into(),
        SecretState::Unknown => "unknown (keyring unavailable)".into(),
    }
}
