//! `bai profile list`: never touches the keyring, so it works without one.

use bai_core::profile::Profile;
use serde_json::{Value, json};

use super::Context;
use crate::report::CliError;

/// The account a profile signs in as: the access key or the email (neither is secret).
pub fn account_of(p: &Profile) -> &str {
    p.access_key.as_deref().or(p.email.as_deref()).unwrap_or("")
}

pub fn summary(p: &Profile, is_default: bool) -> Value {
    json!({
        "name": p.name,
        "id": p.id,
        "kind": p.kind.as_str(),
        "endpoint": p.endpoint,
        "access_key": p.access_key,
        "email": p.email,
        "default": is_default,
    })
}

pub fn run(ctx: &mut Context<'_>) -> Result<(), CliError> {
    let profiles = ctx.load()?;
    let default_id = profiles.file.default.clone();
    let is_default = |p: &Profile| default_id.as_deref() == Some(p.id.as_str());
    if ctx.json {
        let rows: Vec<Value> = profiles
            .list()
            .iter()
            .map(|p| summary(p, is_default(p)))
            .collect();
        return ctx.print_json(&Value::Array(rows));
    }
    if profiles.list().is_empty() {
        writeln!(
            ctx.out,
            "No profiles yet. Add one with `bai profile add NAME --endpoint URL ...` or `bai profile import`."
        )?;
        return Ok(());
    }
    let width = |f: &dyn Fn(&Profile) -> usize, title: &str| {
        profiles
            .list()
            .iter()
            .map(f)
            .max()
            .unwrap_or(0)
            .max(title.chars().count())
    };
    let wn = width(&|p| p.name.chars().count(), "NAME");
    let wk = width(&|p| p.kind.as_str().len(), "KIND");
    let we = width(&|p| p.endpoint.chars().count(), "ENDPOINT");
    writeln!(
        ctx.out,
        "  {:wn$}  {:wk$}  {:we$}  ACCOUNT",
        "NAME", "KIND", "ENDPOINT"
    )?;
    for p in profiles.list() {
        let mark = if is_default(p) { "*" } else { " " };
        writeln!(
            ctx.out,
            "{mark} {:wn$}  {:wk$}  {:we$}  {}",
            p.name,
            p.kind.as_str(),
            p.endpoint,
            account_of(p)
        )?;
    }
    Ok(())
}
