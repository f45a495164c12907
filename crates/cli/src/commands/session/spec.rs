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
        for (k, v) in &qs.resources {
            spec.resources.insert(k.clone(), slot_value(k, v));
        }
        apply_explicit(args, &mut spec.resources)?;
    } else if !qs.resources.is_empty() {
        for (k, v) in &qs.resources {
            spec.resources.insert(k.clone(), slot_value(k, v));
        }
    } else if let Some(preset) = &qs.preset {
        apply_preset(client, preset, &mut spec).await?;
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

async fn apply_preset(
    client: &Client,
    name: &str,
    spec: &mut CreateSession,
) -> Result<(), CliError> {
    let presets = client.resource_presets().await?;
    let Some(p) = presets.iter().find(|p| p.name == name) else {
        let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        return Err(CliError::input(format!(
            "unknown resource preset {name:?}; this cluster has: {} (see `bai presets`)",
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    };
    spec.resources = p.resource_slots.clone();
    if let Some(shm) = p.shared_memory.as_ref().filter(|v| !v.is_null()) {
        spec.resource_opts.insert("shmem".into(), shm.clone());
    }
    Ok(())
}

fn apply_explicit(
    args: &LaunchArgs,
    resources: &mut BTreeMap<String, Value>,
) -> Result<(), CliError> {
    if let Some(cpu) = &args.cpu {
        resources.insert("cpu".into(), number("--cpu", cpu)?);
    }
    if let Some(mem) = &args.mem {
        resources.insert("mem".into(), json!(memory(mem)?));
    }
    if let Some(gpu) = &args.gpu {
        let shares = positive("--gpu", gpu)?;
        // The API takes fractional GPUs as a decimal string (as the web UI sends them).
        resources.insert("cuda.shares".into(), json!(shares.to_string()));
    }
    Ok(())
}

fn positive(flag: &str, text: &str) -> Result<f64, CliError> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(CliError::input(format!(
            "{flag} {text:?}: expected a positive number, e.g. {flag} 2"
        ))),
    }
}

/// Whole numbers go as JSON integers, fractions as floats.
fn number(flag: &str, text: &str) -> Result<Value, CliError> {
    let v = positive(flag, text)?;
    Ok(if v.fract() == 0.0 && v < 1e15 {
        json!(v as u64)
    } else {
        json!(v)
    })
}

/// `512m`, `4g`, `4G`, `1.5g`, `1073741824`: digits (maybe a fraction) and an optional unit.
fn memory(text: &str) -> Result<String, CliError> {
    let t = text.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .map(str::to_owned)
        .unwrap_or(t);
    let (num, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let ok_num = num.parse::<f64>().is_ok_and(|v| v.is_finite() && v > 0.0);
    let ok_unit = matches!(unit, "" | "k" | "m" | "g" | "t");
    if !ok_num || !ok_unit {
        return Err(CliError::input(format!(
            "--mem {text:?}: expected a size such as 512m, 4g or 1.5g"
        )));
    }
    Ok(format!("{num}{unit}"))
}

/// A quick-start amount from the profile (stored as text): `cpu` as a number when it is one.
fn slot_value(key: &str, v: &str) -> Value {
    if key == "cpu"
        && let Ok(n) = number("cpu", v)
    {
        return n;
    }
    json!(v)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(memory("4g").expect("4g"), "4g");
        assert_eq!(memory("512MiB").expect("512MiB"), "512m");
        assert_eq!(memory(" 1.5G ").expect("1.5G"), "1.5g");
        assert_eq!(memory("1073741824").expect("bytes"), "1073741824");
        for bad in ["", "g", "4x", "-1g", "four"] {
            assert_eq!(memory(bad).expect_err(bad).code, "invalid-input", "{bad}");
        }
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
