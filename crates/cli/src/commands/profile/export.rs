//! `bai profile export [NAME...]`: the profiles as TOML (or JSON), never with a secret. A
//! profile record holds none by construction; the id is left out too, since it only names
//! keyring entries on this machine.

use serde_json::Value;

use super::Context;
use crate::report::CliError;

pub fn run(ctx: &mut Context<'_>, names: &[String]) -> Result<(), CliError> {
    let profiles = ctx.load()?;
    let chosen = if names.is_empty() {
        profiles.list().to_vec()
    } else {
        names
            .iter()
            .map(|n| profiles.get(n).cloned())
            .collect::<Result<Vec<_>, _>>()?
    };
    let encode = |e: &dyn std::fmt::Display| CliError::input(format!("cannot encode: {e}"));
    if ctx.json {
        let mut rows = Vec::new();
        for p in &chosen {
            let mut v = serde_json::to_value(p).map_err(|e| encode(&e))?;
            if let Value::Object(m) = &mut v {
                m.remove("id");
            }
            rows.push(v);
        }
        return ctx.print_json(&serde_json::json!({ "version": 1, "profiles": rows }));
    }
    let mut tables = Vec::new();
    for p in &chosen {
        let mut t = toml::Table::try_from(p).map_err(|e| encode(&e))?;
        t.remove("id");
        // Empty sub-tables (no quick-start, default TLS) only add noise.
        t.retain(|_, v| !matches!(v, toml::Value::Table(inner) if inner.is_empty()));
        tables.push(toml::Value::Table(t));
    }
    let mut doc = toml::Table::new();
    doc.insert("version".into(), toml::Value::Integer(1));
    doc.insert("profiles".into(), toml::Value::Array(tables));
    let text = toml::to_string_pretty(&doc).map_err(|e| encode(&e))?;
    writeln!(
        ctx.out,
        "# Backend.AI Launcher profiles (exported; no secrets)\n{text}"
    )?;
    Ok(())
}
