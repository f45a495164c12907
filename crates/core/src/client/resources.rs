//! Resource presets, resource groups and virtual folders.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::api::{Call, Client, encode_query_value};
use super::types::{CheckPresets, ResourceGroup, ResourcePreset, VFolder};
use crate::error::Result;

#[derive(Deserialize)]
struct PresetList {
    presets: Vec<ResourcePreset>,
}

#[derive(Deserialize)]
struct GroupList {
    scaling_groups: Vec<ResourceGroup>,
}

impl Client {
    /// `GET /resource/presets`.
    pub async fn resource_presets(&self) -> Result<Vec<ResourcePreset>> {
        let list: PresetList = self
            .call_json(Call::new(Method::GET, "/resource/presets"))
            .await?;
        Ok(list.presets)
    }

    /// `POST /resource/check-presets`: which presets fit now, and the remaining quota.
    pub async fn check_presets(
        &self,
        group: &str,
        scaling_group: Option<&str>,
    ) -> Result<CheckPresets> {
        let mut body = json!({ "group": group });
        if let Some(sg) = scaling_group {
            body["scaling_group"] = json!(sg);
        }
        self.call_json(Call::new(Method::POST, "/resource/check-presets").json(&body)?)
            .await
    }

    /// `GET /scaling-groups?group=`: the resource groups a project may use.
    pub async fn resource_groups(&self, project: &str) -> Result<Vec<ResourceGroup>> {
        let path = format!("/scaling-groups?group={}", encode_query_value(project));
        let list: GroupList = self.call_json(Call::new(Method::GET, path)).await?;
        Ok(list.scaling_groups)
    }

    /// `GET /folders`: the virtual folders the caller can mount.
    pub async fn vfolders(&self) -> Result<Vec<VFolder>> {
        self.call_json(Call::new(Method::GET, "/folders")).await
    }
}
