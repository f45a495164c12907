//! From `bai launch` arguments plus the profile's quick-start defaults to a [`CreateSession`].

use std::collections::BTreeMap;

use bai_core::client::{Client, CreateSession};
use bai_core::profile::LaunchPreset;
use serde_json::{Value, json};

use super::Account;
use crate::cli::LaunchArgs;
use crate::report::CliError;

/// What a launch falls back to when an argument is absent.
#[derive(Debug, Clone, Default)]
pub struct LaunchDefaults {
    pub quick_start: LaunchPreset,
    pub project: String,
    pub resource_group: Option<String>,
    pub domain: String,
}

impl LaunchDefaults {
    pub fn of(acct: &Account, args: &LaunchArgs) -> Self {
        LaunchDefaults {
            quick_start: acct
                .profile
                .as_ref()
                .map(|p| p.quick_start.clone())
                .unwrap_or_default(),
            project: acct.project(args.project.as_deref()),
            resource_group: acct.resource_group(args.resource_group.as_deref()),
            domain: acct.client.config().domain.clone(),
        }
    }
}

/// Build the session request. Presets are looked up on the server, so this may call it.
pub async fn build_spec(
    client: &Client,
    args: &LaunchArgs,
    defaults: &LaunchDefaults,
) -> Result<CreateSession, CliError> {
    let qs = &defaults.quick_start;
    let image = args
        .image
        .clone()
        .or_else(|| qs.image.clone())
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| {
            CliError::input(
                "no image: pass --image IMAGE (see `bai images`), or set the profile's quick-start image with `bai profile edit NAME --image IMAGE`",
            )
        })?;
    let mut spec = CreateSession::new(args.name.clone().unwrap_or_default(), image.trim());
    spec.group = defaults.project.clone();
    spec.domain = defaults.domain.clone();
    spec.scaling_group = defaults.resource_group.clone();

    let explicit = args.cpu.is_some() || args.mem.is_some() || args.gpu.is_some();
    if let Some(preset) = &args.preset {
        apply_preset(client, preset, &mut spec).await?;
    } else if explicit {
        // Given amounts override the quick-start ones slot by slot.
        spec.resources.extend(quick_start_resources(qs)?);
        apply_explicit(args, &mut spec.resources)?;
    } else if let Some(preset) = qs.preset_in_effect() {
        apply_preset(client, preset, &mut spec).await?;
    } else {
        spec.resources.extend(quick_start_resources(qs)?);
    }
    // Nothing chosen at all: the manager applies the image's minimum resources.

    for m in &args.mounts {
        let (folder, path) = match m.split_once(':') {
            Some((f, p)) => (f.trim(), Some(p.trim())),
            None => (m.trim(), None),
        };
        if folder.is_empty() || path.is_some_and(str::is_empty) {
            return Err(CliError::input(format!(
                "--mount {m:?}: expected FOLDER or FOLDER:PATH, e.g. --mount data:/home/work/data"
            )));
        }
        spec.mounts.push(folder.to_owned());
        if let Some(p) = path {
            spec.mount_map.insert(folder.to_owned(), p.to_owned());
        }
    }
    for e in &args.envs {
        match e.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                spec.environ.insert(k.trim().to_owned(), v.to_owned());
            }
            _ => {
                return Err(CliError::input(format!(
                    "--env {e:?}: expected NAME=VALUE, e.g. --env MODE=dev"
                )));
            }
        }
    }
    Ok(spec)
}

/// The cluster's preset by the core's one rule (the app's launch form and quick start use the
/// same), with the CLI's pointer to `bai presets` when the name is unknown.
async fn apply_preset(
    client: &Client,
    name: &str,
    spec: &mut CreateSession,
) -> Result<(), CliError> {
    let preset = bai_core::presets::resolve_preset(client, name)
        .await
        .map_err(|e| {
            let code = e.code();
            let hint = if code == "invalid-input" {
                " (see `bai presets`)"
            } else {
                ""
            };
            CliError {
                code,
                message: format!("{e}{hint}"),
            }
        })?;
    preset.apply_to(spec);
    Ok(())
}

fn apply_explicit(
    args: &LaunchArgs,
    resources: &mut BTreeMap<String, Value>,
) -> Result<(), CliError> {
    if let Some(cpu) = &args.cpu {
        resources.insert("cpu".into(), slot("--cpu", "cpu", cpu)?);
    }
    if let Some(mem) = &args.mem {
        resources.insert("mem".into(), slot("--mem", "mem", mem)?);
    }
    if let Some(gpu) = &args.gpu {
        let shares = bai_core::resources::parse_slot("cuda.shares", gpu)
            .map_err(|e| flag_error("--gpu", e))?;
        // The API takes fractional GPUs as a decimal string (as the web UI sends them).
        resources.insert("cuda.shares".into(), json!(shares));
    }
    Ok(())
}

/// One amount, checked by the core's one resource parser (the same rules as
/// `bai profile edit --resource`), as the API takes it.
fn slot(flag: &str, key: &str, text: &str) -> Result<Value, CliError> {
    let amount = bai_core::resources::parse_slot(key, text).map_err(|e| flag_error(flag, e))?;
    Ok(bai_core::resources::slot_json(key, &amount))
}

fn flag_error(flag: &str, e: bai_core::Error) -> CliError {
    CliError {
        code: e.code(),
        message: format!("{flag}: {e}"),
    }
}

/// The profile's quick-start amounts (stored as text), checked again: a hand-edited file may
/// hold anything.
fn quick_start_resources(qs: &LaunchPreset) -> Result<BTreeMap<String, Value>, CliError> {
    bai_core::resources::to_api(&qs.resources).map_err(|e| CliError {
        code: e.code(),
        message: format!(
            "the profile's quick-start resources: {e}; fix them with `bai profile edit NAME --resource SLOT=AMOUNT`"
        ),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn memory_sizes_go_through_the_core_parser() {
        assert_eq!(slot("--mem", "mem", "4g").expect("4g"), json!("4g"));
        assert_eq!(
            slot("--mem", "mem", "512MiB").expect("512MiB"),
            json!("512m")
        );
        assert_eq!(slot("--mem", "mem", " 1.5G ").expect("1.5G"), json!("1.5g"));
        // A bare number is MiB, as the official CLI reads --mem: never 4 bytes.
        assert_eq!(slot("--mem", "mem", "4").expect("4"), json!("4m"));
        for bad in ["", "g", "4x", "-1g", "four", "banana", "0"] {
            let e = slot("--mem", "mem", bad).expect_err(bad);
            assert_eq!(e.code, "invalid-input", "{bad}");
            assert!(e.message.starts_with("--mem: "), "{}", e.message);
            assert!(e.message.contains("resource mem"), "{}", e.message);
        }
        let e = slot("--cpu", "cpu", "-1").expect_err("negative");
        assert!(e.message.contains("positive number"), "{}", e.message);
    }

    #[test]
    fn a_bad_stored_quick_start_amount_is_refused_by_name() {
        let qs = LaunchPreset {
            resources: BTreeMap::from([("mem".into(), "banana".into())]),
            ..LaunchPreset::default()
        };
        let e = quick_start_resources(&qs).expect_err("banana");
        assert!(e.message.contains("\"banana\""), "{}", e.message);
        assert!(e.message.contains("resource mem"), "{}", e.message);
    }

    #[test]
    fn explicit_resources_and_gpu_shares_as_a_string() {
        let args = LaunchArgs {
            cpu: Some("2".into()),
            mem: Some("4g".into()),
            gpu: Some("0.5".into()),
            ..LaunchArgs::default()
        };
        let mut r = BTreeMap::new();
        apply_explicit(&args, &mut r).expect("valid");
        assert_eq!(r["cpu"], json!(2));
        assert_eq!(r["mem"], json!("4g"));
        assert_eq!(r["cuda.shares"], json!("0.5"));
        let bad = LaunchArgs {
            cpu: Some("0".into()),
            ..LaunchArgs::default()
        };
        let e = apply_explicit(&bad, &mut r).expect_err("zero cpu");
        assert!(e.message.contains("--cpu"), "{}", e.message);
    }
}
