//! REST calls on compute sessions: create, info, destroy, apps.

use reqwest::Method;

use super::api::{Call, Client, encode_query_value};
use super::name::validate_session_name;
use super::types::{AppInfo, CreateSession, CreatedSession, SessionInfo};
use crate::error::{Error, Result};

/// A session name or id as one path segment.
pub(crate) fn session_path(name_or_id: &str) -> Result<String> {
    let s = name_or_id.trim();
    if s.is_empty() {
        return Err(Error::InvalidInput {
            field: "session".into(),
            reason: "the session name or id is empty".into(),
        });
    }
    Ok(encode_path_segment(s))
}

fn encode_path_segment(s: &str) -> String {
    // Names are `[\w.-]` and ids are UUIDs, so this only matters for bad input.
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

impl Client {
    /// `POST /session`. The name is checked locally first (`InvalidInput`).
    pub async fn create_session(&self, req: &CreateSession) -> Result<CreatedSession> {
        validate_session_name(&req.name)?;
        if req.image.trim().is_empty() {
            return Err(Error::InvalidInput {
                field: "image".into(),
                reason: "no image chosen; pick one of the installed images".into(),
            });
        }
        let mut call = Call::new(Method::POST, "/session").json(&req.to_wire())?;
        call.image = Some(req.image.clone());
        call.session_name = Some(req.name.clone());
        self.call_json(call).await
    }

    /// `GET /session/{name_or_id}`.
    pub async fn session_info(&self, name_or_id: &str) -> Result<SessionInfo> {
        let mut call = Call::new(
            Method::GET,
            format!("/session/{}", session_path(name_or_id)?),
        );
        call.session_name = Some(name_or_id.to_owned());
        self.call_json(call).await
    }

    /// `DELETE /session/{name_or_id}` (`forced` skips the graceful shutdown steps).
    pub async fn destroy_session(
        &self,
        name_or_id: &str,
        forced: bool,
    ) -> Result<serde_json::Value> {
        let mut path = format!("/session/{}", session_path(name_or_id)?);
        if forced {
            path.push_str("?forced=true");
        }
        let mut call = Call::new(Method::DELETE, path);
        call.session_name = Some(name_or_id.to_owned());
        self.call_json(call).await
    }

    /// `GET /stream/session/{name_or_id}/apps`: the apps the session offers.
    pub async fn session_apps(&self, name_or_id: &str) -> Result<Vec<AppInfo>> {
        let mut call = Call::new(
            Method::GET,
            format!("/stream/session/{}/apps", session_path(name_or_id)?),
        );
        call.session_name = Some(name_or_id.to_owned());
        self.call_json(call).await
    }

    /// `GET /auth/role`: the caller's global, domain and project roles.
    pub async fn role(&self, group_id: Option<&str>) -> Result<super::types::Roles> {
        let path = match group_id {
            Some(g) => format!("/auth/role?group={}", encode_query_value(g)),
            None => "/auth/role".into(),
        };
        self.call_json(Call::new(Method::GET, path)).await
    }
}
