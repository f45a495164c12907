//! Resource presets, resource groups and virtual folders.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json_string;

/// `GET /resource/presets` item.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ResourcePreset {
    pub name: String,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub resource_slots: BTreeMap<String, Value>,
    #[serde(default)]
    pub shared_memory: Option<Value>,
}

/// A preset with whether it fits right now (`POST /resource/check-presets`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PresetAvailability {
    pub name: String,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub resource_slots: BTreeMap<String, Value>,
    #[serde(default)]
    pub shared_memory: Option<Value>,
    #[serde(default)]
    pub allocatable: bool,
}

/// `POST /resource/check-presets`: presets plus limits and what remains.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CheckPresets {
    #[serde(default)]
    pub presets: Vec<PresetAvailability>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub keypair_limits: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub keypair_using: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub keypair_remaining: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub group_limits: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub group_using: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub group_remaining: BTreeMap<String, Value>,
    #[serde(default, deserialize_with = "json_string::deserialize")]
    pub scaling_group_remaining: BTreeMap<String, Value>,
    #[serde(default)]
    pub scaling_groups: Value,
}

/// `GET /scaling-groups?group=` item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ResourceGroup {
    pub name: String,
}

/// `GET /folders` item (only the fields the launcher shows; all optional across versions).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct VFolder {
    pub name: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub host: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub usage_mode: Option<String>,
    #[serde(default)]
    pub permission: Option<String>,
    #[serde(default)]
    pub is_owner: Option<bool>,
    #[serde(default)]
    pub ownership_type: Option<String>,
    #[serde(default)]
    pub group_name: Option<String>,
}
