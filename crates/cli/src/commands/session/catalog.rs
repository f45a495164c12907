//! `bai images` and `bai presets`: what can be launched, and with how much.

use serde_json::{Value, json};

use super::Account;
use crate::commands::profile::Context;
use crate::commands::table::print_table;
use crate::report::CliError;

/// The client's image query without `is_installed: true`: images registered on the manager
/// that no agent reports yet (the real manager with the dummy agent has only such images).
const ALL_IMAGES_QUERY: &str = "query { images { id name namespace base_image_name tag registry architecture digest installed labels { key value } resource_limits { key min max } aliases } }";

pub async fn images(ctx: &mut Context<'_>, acct: &Account, all: bool) -> Result<(), CliError> {
    let mut images: Vec<bai_core::client::Image> = if all {
        acct.client
            .graphql(ALL_IMAGES_QUERY, json!({}), "images")
            .await?
    } else {
        acct.client.images().await?
    };
    images.sort_by_key(|i| i.reference());
    if ctx.json {
        let items: Vec<Value> = images
            .iter()
            .map(|i| {
                json!({
                    "reference": i.reference(),
                    "aliases": i.aliases,
                    "architecture": i.architecture,
                    "apps": i.service_port_names(),
                    "image": i,
                })
            })
            .collect();
        return ctx.print_json(&json!({ "items": items }));
    }
    if images.is_empty() {
        let hint = if all {
            ""
        } else {
            " (`bai images --all` also lists images not installed yet)"
        };
        writeln!(ctx.out, "no installed images{hint}")?;
        return Ok(());
    }
    let rows: Vec<[String; 4]> = images
        .iter()
        .map(|i| {
            [
                i.reference(),
                i.aliases.join(","),
                i.architecture.clone().unwrap_or_default(),
                i.service_port_names().join(","),
            ]
        })
        .collect();
    print_table(ctx, ["IMAGE", "ALIASES", "ARCH", "APPS"], &rows)
}

pub async fn presets(
    ctx: &mut Context<'_>,
    acct: &Account,
    project: Option<&str>,
    resource_group: Option<&str>,
) -> Result<(), CliError> {
    let project = acct.project(project);
    let rg = acct.resource_group(resource_group);
    let listed = bai_core::presets::cluster_presets(&acct.client, &project, rg.as_deref()).await?;
    if let Some(e) = &listed.fit_error {
        writeln!(
            ctx.err,
            "warning: cannot tell which presets fit now ({}): {e}",
            e.code()
        )?;
    }
    let presets = &listed.presets;
    if ctx.json {
        let items: Vec<Value> = presets
            .iter()
            .map(|p| {
                json!({
                    "name": p.preset.name,
                    "resource_slots": p.preset.resources,
                    "shared_memory": p.preset.shmem,
                    "allocatable": p.allocatable,
                })
            })
            .collect();
        return ctx.print_json(&json!({ "items": items }));
    }
    if presets.is_empty() {
        writeln!(ctx.out, "no resource presets")?;
        return Ok(());
    }
    let rows: Vec<[String; 3]> = presets
        .iter()
        .map(|p| {
            let slots = p
                .preset
                .resources
                .iter()
                .map(|(k, v)| format!("{k}={}", slot_text(k, v)))
                .collect::<Vec<_>>()
                .join(" ");
            let fit = match p.allocatable {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            };
            [p.preset.name.clone(), slots, fit.to_owned()]
        })
        .collect();
    print_table(ctx, ["PRESET", "RESOURCES", "FITS NOW"], &rows)
}

/// Slot amounts as people read them: memory in GiB/MiB, the rest as given.
fn slot_text(key: &str, v: &Value) -> String {
    let raw = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if (key == "mem" || key.ends_with(".mem"))
        && let Ok(bytes) = raw.parse::<u64>()
    {
        const GIB: u64 = 1 << 30;
        const MIB: u64 = 1 << 20;
        if bytes >= GIB && bytes % (GIB / 4) == 0 {
            return format!("{}g", bytes as f64 / GIB as f64);
        }
        if bytes >= MIB {
            return format!("{}m", bytes / MIB);
        }
    }
    raw
}
