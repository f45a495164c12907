//! `bai profile list`: never touches the keyring, so it works without one.

use bai_core::profile::Profile;
use serde_json::{Value, json};

use super::Context;
use crate::commands::table::print_table;
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
        return ctx.print_json(&json!({ "items": rows }));
    }
    if profiles.list().is_empty() {
        writeln!(
            ctx.out,
            "No profiles yet. Add one with `bai profile add NAME --endpoint URL ...` or `bai profile import`."
        )?;
        return Ok(());
    }
    // The default profile's mark leads its name cell, so the names stay in one column.
    let rows: Vec<[String; 4]> = profiles
        .list()
        .iter()
        .map(|p| {
            let mark = if is_default(p) { '*' } else { ' ' };
            [
                format!("{mark} {}", p.name),
                p.kind.as_str().to_owned(),
                p.endpoint.clone(),
                account_of(p).to_owned(),
            ]
        })
        .collect();
    print_table(ctx, ["  NAME", "KIND", "ENDPOINT", "ACCOUNT"], &rows)?;
    Ok(())
}
