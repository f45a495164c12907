//! Resource presets: which presets a cluster offers, whether each fits now, and what a preset
//! asks the create call for. `bai presets`, `bai launch --preset`, the app's launch form and its
//! quick start all go through here, so one preset name means the same session everywhere; the
//! front ends only choose their words.
//!
//! - [`cluster_presets`]: the presets with their fit, `None` when the cluster cannot tell (the
//!   check failed: the presets are still listed, with the reason).
//! - [`resolve_preset`] / [`resolve`]: a preset by name, its slots normalised with
//!   [`resources::server_amount_json`] and its shared memory carried as the `shmem` resource
//!   option; an unknown name is an error listing the cluster's presets.
//! - [`Preset::apply_to`]: that preset in a [`CreateSession`].
//! - [`shortfalls`]: what of any request (a preset's or explicit `--cpu/--mem`) does not fit in
//!   what the check says is left now, so a session left PENDING can say why.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::client::{CheckPresets, Client, CreateSession, ResourcePreset};
use crate::error::{Error, Result};
use crate::resources;

/// The resource option the manager reads a session's shared memory (`/dev/shm`) from.
pub const SHMEM_OPTION: &str = "shmem";

/// One preset as a create call takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    /// Slot → amount in the create call's forms (`cpu: 2`, `mem: "4294967296"`): the server
    /// may write `"2"` or `2`, and both leave as `2`.
    pub resources: BTreeMap<String, Value>,
    /// Shared memory in bytes, as text; `None` when the preset sets none (the server default).
    pub shmem: Option<Value>,
}

impl Preset {
    /// A preset as the server describes it (`/resource/presets` or `/resource/check-presets`).
    pub fn from_server(
        name: &str,
        resource_slots: &BTreeMap<String, Value>,
        shared_memory: Option<&Value>,
    ) -> Self {
        Preset {
            name: name.to_owned(),
            resources: resource_slots
                .iter()
                .map(|(k, v)| (k.clone(), resources::server_amount_json(k, v)))
                .collect(),
            // Shared memory is a memory amount: the same rule as the `mem` slot.
            shmem: shared_memory
                .filter(|v| !v.is_null())
                .map(|v| resources::server_amount_json("mem", v)),
        }
    }

    /// Ask `spec` for this preset: its slots replace any others (a preset is a whole set), and
    /// its shared memory becomes the `shmem` option (dropping it would give the session the
    /// server's small default `/dev/shm`, which breaks data loaders that rely on it).
    pub fn apply_to(&self, spec: &mut CreateSession) {
        spec.resources = self.resources.clone();
        match &self.shmem {
            Some(shm) => {
                spec.resource_opts.insert(SHMEM_OPTION.into(), shm.clone());
            }
            None => {
                spec.resource_opts.remove(SHMEM_OPTION);
            }
        }
    }
}

/// A preset with whether it fits now.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetFit {
    pub preset: Preset,
    /// `Some(true)`: the cluster has room now; `Some(false)`: it has not; `None`: it could not
    /// tell (see [`ClusterPresets::fit_error`]). Unknown is never shown as "fits".
    pub allocatable: Option<bool>,
}

/// A cluster's presets for one project and resource group.
#[derive(Debug)]
pub struct ClusterPresets {
    pub presets: Vec<PresetFit>,
    /// What the account may still allocate (slot → amount as the server wrote it); empty when
    /// the check failed.
    pub remaining: BTreeMap<String, Value>,
    /// Why the fits are unknown: the check failed, the presets were listed without it.
    pub fit_error: Option<Error>,
}

/// The presets `project` may use in `resource_group`, with their fit. The fit is a bonus: a
/// cluster that refuses the check (an older manager, a project it does not know) still lists
/// its presets, each with an unknown fit. Fails only when the presets cannot be read at all.
pub async fn cluster_presets(
    client: &Client,
    project: &str,
    resource_group: Option<&str>,
) -> Result<ClusterPresets> {
    match client.check_presets(project, resource_group).await {
        Ok(check) => Ok(ClusterPresets {
            presets: check
                .presets
                .iter()
                .map(|p| PresetFit {
                    preset: Preset::from_server(
                        &p.name,
                        &p.resource_slots,
                        p.shared_memory.as_ref(),
                    ),
                    allocatable: Some(p.allocatable),
                })
                .collect(),
            remaining: check.keypair_remaining,
            fit_error: None,
        }),
        Err(fit_error) => {
            let listed = client.resource_presets().await?;
            Ok(unknown_fit(&listed, fit_error))
        }
    }
}

/// Whose limit a [`Shortfall`] runs into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The keypair's resource policy.
    Keypair,
    /// The project's.
    Project,
    /// The resource group's free capacity.
    ResourceGroup,
}

/// A slot a request asks more of than is left now.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    pub slot: String,
    pub limit: Limit,
    /// In the slot's own unit (bytes for `mem`), see [`resources::amount`].
    pub asked: f64,
    pub left: f64,
}

/// The slots of `requested` (a create call's resources) that do not fit in what `check` says
/// is left now, the tightest limit first per slot. A slot the check does not mention, or an
/// amount that cannot be read, is not judged: only a sure shortfall is reported.
pub fn shortfalls(requested: &BTreeMap<String, Value>, check: &CheckPresets) -> Vec<Shortfall> {
    let limits = [
        (Limit::ResourceGroup, &check.scaling_group_remaining),
        (Limit::Keypair, &check.keypair_remaining),
        (Limit::Project, &check.group_remaining),
    ];
    requested
        .iter()
        .filter_map(|(slot, v)| {
            let asked = resources::amount(slot, v)?;
            limits
                .iter()
                .filter_map(|(limit, left)| {
                    let left = resources::amount(slot, left.get(slot)?)?;
                    (asked > left).then(|| Shortfall {
                        slot: slot.clone(),
                        limit: *limit,
                        asked,
                        left,
                    })
                })
                .min_by(|a, b| a.left.total_cmp(&b.left))
        })
        .collect()
}

/// The listed presets, each with an unknown fit because of `fit_error`.
fn unknown_fit(listed: &[ResourcePreset], fit_error: Error) -> ClusterPresets {
    ClusterPresets {
        presets: listed
            .iter()
            .map(|p| PresetFit {
                preset: from_listed(p),
                allocatable: None,
            })
            .collect(),
        remaining: BTreeMap::new(),
        fit_error: Some(fit_error),
    }
}

fn from_listed(p: &ResourcePreset) -> Preset {
    Preset::from_server(&p.name, &p.resource_slots, p.shared_memory.as_ref())
}

/// The cluster's preset called `name` (see [`resolve`]).
pub async fn resolve_preset(client: &Client, name: &str) -> Result<Preset> {
    resolve(&client.resource_presets().await?, name)
}

/// The preset called `name` among `listed`. An unknown name is an `invalid-input` error that
/// names every preset the cluster has, so the person can pick one without another command.
pub fn resolve(listed: &[ResourcePreset], name: &str) -> Result<Preset> {
    let wanted = name.trim();
    listed
        .iter()
        .find(|p| p.name == wanted)
        .map(from_listed)
        .ok_or_else(|| {
            let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
            Error::InvalidInput {
                field: "resource preset".into(),
                reason: format!(
                    "{name:?} is not one of this cluster's presets; it has: {}",
                    if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            }
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn shortfalls_name_the_tightest_limit_of_each_slot_that_does_not_fit() {
        let check: CheckPresets = serde_json::from_value(json!({
            "keypair_remaining": {"cpu": "Infinity", "mem": "Infinity"},
            "group_remaining": {"cpu": "8", "mem": "Infinity"},
            "scaling_group_remaining": {"cpu": "4", "mem": "8589934592"},
        }))
        .expect("check");
        let ask = |pairs: Value| -> BTreeMap<String, Value> {
            serde_json::from_value(pairs).expect("request")
        };
        let short = shortfalls(&ask(json!({"cpu": 16, "mem": "4g"})), &check);
        assert_eq!(
            short,
            [Shortfall {
                slot: "cpu".into(),
                limit: Limit::ResourceGroup,
                asked: 16.0,
                left: 4.0,
            }]
        );
        let short = shortfalls(&ask(json!({"cpu": 2, "mem": "16g"})), &check);
        assert_eq!(short.len(), 1);
        assert_eq!(
            (short[0].slot.as_str(), short[0].left),
            ("mem", 8.0 * (1u64 << 30) as f64)
        );
        // What fits, and slots the check does not mention, are not reported.
        assert!(shortfalls(&ask(json!({"cpu": 2, "cuda.shares": 1})), &check).is_empty());
    }

    fn listed(name: &str, slots: Value, shm: Value) -> ResourcePreset {
        serde_json::from_value(json!({"name": name, "resource_slots": slots, "shared_memory": shm}))
            .expect("a preset")
    }

    #[test]
    fn strings_and_numbers_from_the_server_resolve_to_the_same_request() {
        let as_strings = listed(
            "s",
            json!({"cpu": "2", "mem": "4294967296", "cuda.shares": "0.5"}),
            json!("1073741824"),
        );
        let as_numbers = listed(
            "n",
            json!({"cpu": 2.0, "mem": 4294967296u64, "cuda.shares": 0.5}),
            json!(1073741824u64),
        );
        let a = resolve(std::slice::from_ref(&as_strings), "s").expect("s");
        let b = resolve(std::slice::from_ref(&as_numbers), "n").expect("n");
        assert_eq!(a.resources, b.resources);
        assert_eq!(a.shmem, b.shmem);
        // cpu as a number, as a person's `--cpu 2` is sent; memory stays bytes, as text.
        assert_eq!(a.resources["cpu"], json!(2));
        assert_eq!(a.resources["mem"], json!("4294967296"));
        assert_eq!(a.resources["cuda.shares"], json!("0.5"));
        assert_eq!(a.shmem, Some(json!("1073741824")));
    }

    #[test]
    fn a_preset_fills_the_create_call_with_its_shared_memory() {
        let p = resolve(
            &[listed(
                "cpu02",
                json!({"cpu": "2", "mem": "4294967296"}),
                json!("1073741824"),
            )],
            "cpu02",
        )
        .expect("known");
        let mut spec = CreateSession::new("s", "python");
        spec.resources.insert("cuda.shares".into(), json!("1"));
        p.apply_to(&mut spec);
        let wire = spec.to_wire();
        assert_eq!(
            wire["config"]["resources"],
            json!({"cpu": 2, "mem": "4294967296"}),
            "the preset's slots replace the others"
        );
        assert_eq!(
            wire["config"]["resource_opts"],
            json!({"shmem": "1073741824"})
        );

        // No shared memory in the preset: none asked for (not a stale one).
        let bare = resolve(&[listed("b", json!({"cpu": "1"}), Value::Null)], "b").expect("b");
        assert_eq!(bare.shmem, None);
        bare.apply_to(&mut spec);
        assert!(!spec.resource_opts.contains_key(SHMEM_OPTION));
    }

    #[test]
    fn an_unknown_name_lists_the_clusters_presets() {
        let all = [
            listed("small", json!({"cpu": "1"}), Value::Null),
            listed("large", json!({"cpu": "4"}), Value::Null),
        ];
        let e = resolve(&all, "medium").expect_err("unknown");
        assert_eq!(e.code(), "invalid-input");
        let msg = e.to_string();
        assert!(msg.contains("\"medium\""), "{msg}");
        assert!(msg.contains("small, large"), "{msg}");
        let none = resolve(&[], "medium").expect_err("no presets");
        assert!(none.to_string().ends_with("it has: none"), "{none}");
        // Surrounding blanks (a hand-edited profile) do not make a known name unknown.
        assert_eq!(resolve(&all, " small ").expect("trimmed").name, "small");
    }

    #[test]
    fn a_failed_check_leaves_the_fit_unknown_never_fits() {
        let all = [listed("small", json!({"cpu": "1"}), Value::Null)];
        let out = unknown_fit(
            &all,
            Error::Forbidden {
                detail: "no check".into(),
            },
        );
        assert_eq!(out.presets.len(), 1);
        assert_eq!(out.presets[0].allocatable, None);
        assert_eq!(out.presets[0].preset.resources["cpu"], json!(1));
        assert!(out.remaining.is_empty());
        assert_eq!(out.fit_error.as_ref().map(Error::code), Some("forbidden"));
    }
}
