//! Images (GraphQL `images`), their canonical reference and declared service ports.

use serde::{Deserialize, Serialize};

/// The label listing an image's apps: `jupyter:http:8091,vscode:http:[8180,8181]`.
pub const SERVICE_PORTS_LABEL: &str = "ai.backend.service-ports";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ImageLabel {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ResourceLimit {
    pub key: String,
    #[serde(default)]
    pub min: Option<String>,
    #[serde(default)]
    pub max: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Image {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub base_image_name: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub registry: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub installed: Option<bool>,
    #[serde(default)]
    pub labels: Vec<ImageLabel>,
    #[serde(default)]
    pub resource_limits: Vec<ResourceLimit>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// One app declared by the service-ports label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePortDef {
    pub name: String,
    pub protocol: String,
    pub ports: Vec<u16>,
}

impl Image {
    /// `registry/path:tag`, the reference `create_session` takes. Managers disagree on where
    /// the path (`stable/python`) lives: 24.09 puts it in `name`; newer builds put it in
    /// `namespace` with a bare `name`, or split it as `namespace` `stable` + `name` `python`.
    /// All three give the same reference, and a path already starting with the registry is
    /// not prefixed twice.
    pub fn reference(&self) -> String {
        let name = self.name.as_deref().unwrap_or_default();
        let ns = self.namespace.as_deref().unwrap_or_default();
        let path = if name.contains('/') || ns.is_empty() {
            name.to_owned()
        } else if name.is_empty() || ns == name || ns.ends_with(&format!("/{name}")) {
            ns.to_owned()
        } else {
            format!("{ns}/{name}")
        };
        let mut out = match self.registry.as_deref().filter(|r| !r.is_empty()) {
            Some(r) if !path.starts_with(&format!("{r}/")) => format!("{r}/{path}"),
            _ => path,
        };
        if let Some(tag) = self.tag.as_deref().filter(|t| !t.is_empty()) {
            out.push(':');
            out.push_str(tag);
        }
        out
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.key == key)
            .map(|l| l.value.as_str())
    }

    /// The apps declared by the `ai.backend.service-ports` label (malformed items skipped).
    pub fn service_ports(&self) -> Vec<ServicePortDef> {
        self.label(SERVICE_PORTS_LABEL)
            .map(parse_service_ports)
            .unwrap_or_default()
    }

    /// Just the app names (`jupyter`, `jupyterlab`, ...).
    pub fn service_port_names(&self) -> Vec<String> {
        self.service_ports().into_iter().map(|p| p.name).collect()
    }
}

/// Parse `name:protocol:port` items separated by commas; a port may be `[p1,p2]`, whose
/// commas do not separate items.
pub fn parse_service_ports(label: &str) -> Vec<ServicePortDef> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in label.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&label[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&label[start..]);
    items
        .into_iter()
        .filter_map(|item| {
            let mut parts = item.trim().splitn(3, ':');
            let name = parts.next()?.trim();
            let protocol = parts.next()?.trim();
            let ports_text = parts.next()?.trim();
            let ports = ports_text
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|p| p.trim().parse::<u16>().ok())
                .collect::<Option<Vec<u16>>>()?;
            (!name.is_empty() && !ports.is_empty()).then(|| ServicePortDef {
                name: name.to_owned(),
                protocol: protocol.to_owned(),
                ports,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(v: serde_json::Value) -> Image {
        serde_json::from_value(v).expect("image parses")
    }

    #[test]
    fn reference_from_old_and_new_layouts() {
        let old = image(serde_json::json!({
            "name": "stable/python", "registry": "cr.backend.ai", "tag": "3.9-ubuntu20.04"
        }));
        assert_eq!(
            old.reference(),
            "cr.backend.ai/stable/python:3.9-ubuntu20.04"
        );
        let new = image(serde_json::json!({
            "name": "python", "namespace": "stable/python", "registry": "cr.backend.ai",
            "tag": "3.9-ubuntu20.04", "base_image_name": "python"
        }));
        assert_eq!(
            new.reference(),
            "cr.backend.ai/stable/python:3.9-ubuntu20.04"
        );
        let split = image(serde_json::json!({
            "name": "python", "namespace": "stable", "registry": "cr.backend.ai", "tag": "3.9"
        }));
        assert_eq!(split.reference(), "cr.backend.ai/stable/python:3.9");
        let testkit = image(serde_json::json!({
            "name": "stable/python", "namespace": "stable", "base_image_name": "python",
            "registry": "cr.backend.ai", "tag": "3.9"
        }));
        assert_eq!(testkit.reference(), "cr.backend.ai/stable/python:3.9");
        let full = image(serde_json::json!({
            "name": "cr.backend.ai/stable/python", "registry": "cr.backend.ai", "tag": "3.9"
        }));
        assert_eq!(full.reference(), "cr.backend.ai/stable/python:3.9");
    }

    #[test]
    fn service_ports_label_with_port_lists() {
        let img = image(serde_json::json!({
            "labels": [{"key": "ai.backend.service-ports",
                        "value": "jupyter:http:8091,vscode:http:[8180,8181], tensorboard:http:6006,bad:x"}]
        }));
        assert_eq!(
            img.service_port_names(),
            ["jupyter", "vscode", "tensorboard"]
        );
        assert_eq!(img.service_ports()[1].ports, [8180, 8181]);
        assert!(image(serde_json::json!({})).service_ports().is_empty());
    }
}
