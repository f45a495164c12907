//! GraphQL (`POST /admin/gql`): session lists, images, the current user and keypair.
//! Errors arrive inside a 200 answer, so they are checked here, not by the status mapping.

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::api::{Call, Client};
use super::types::{CurrentKeypair, CurrentUser, Image, ListSessions, SessionPage};
use crate::error::{Error, Result};

/// The session list query; `idle` adds the idle checkers' report (`idle_checks`), which a
/// cluster without it refuses, so the list is then read again without it.
fn session_list_query(idle: bool) -> String {
    let idle = if idle { " idle_checks" } else { "" };
    format!(
        "query($limit:Int!, $offset:Int!, $status:String, $ak:String, $group_id:String) {{
  compute_session_list(limit:$limit, offset:$offset, status:$status, access_key:$ak, group_id:$group_id) {{
    items {{ id name type image architecture status status_info status_changed created_at terminated_at
            scaling_group service_ports occupying_slots requested_slots mounts{idle} }}
    total_count
  }}
}}"
    )
}

pub(crate) const IMAGES_QUERY: &str = "query { images(is_installed: true) { id name namespace base_image_name tag registry architecture digest installed labels { key value } resource_limits { key min max } aliases } }";

pub(crate) const USER_QUERY: &str =
    "query { user { uuid email username full_name role domain_name status groups { id name } } }";

pub(crate) const KEYPAIR_QUERY: &str = "query { keypair { access_key is_active is_admin user_id resource_policy rate_limit concurrency_used num_queries last_used } }";

pub(crate) const SESSION_STATUS_QUERY: &str =
    "query($id: UUID!) { compute_session(id: $id) { id name status status_info access_key } }";

/// A session's status from GraphQL, which (unlike `GET /session/{id}`) still finds
/// sessions that have ended.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SessionStatusRecord {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub status: crate::client::status::SessionStatus,
    #[serde(default)]
    pub status_info: Option<String>,
    /// The owner's access key.
    #[serde(default)]
    pub access_key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct GqlResponse {
    #[serde(default)]
    data: Option<Value>,
    /// The real manager (26.9.6) sends `"errors": null` on success.
    #[serde(default, deserialize_with = "null_as_empty")]
    errors: Vec<GqlError>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<GqlError>, D::Error> {
    Ok(Option::<Vec<GqlError>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct GqlError {
    #[serde(default)]
    message: String,
}

/// Take `data.<field>` out of a GraphQL answer, or turn its `errors` into an [`Error`].
pub(crate) fn extract<T: DeserializeOwned>(body: Value, field: &str) -> Result<T> {
    let resp: GqlResponse = serde_json::from_value(body).map_err(|e| Error::InvalidResponse {
        detail: format!("the GraphQL answer has an unexpected shape: {e}"),
    })?;
    let value = resp
        .data
        .as_ref()
        .and_then(|d| d.get(field))
        .filter(|v| !v.is_null());
    match value {
        Some(v) if resp.errors.is_empty() => {
            serde_json::from_value(v.clone()).map_err(|e| Error::InvalidResponse {
                detail: format!("GraphQL field {field:?} has an unexpected shape: {e}"),
            })
        }
        _ if !resp.errors.is_empty() => Err(graphql_error(&resp.errors)),
        _ => Err(Error::NotFound {
            detail: format!("the server returned no {field:?} for this account"),
        }),
    }
}

fn graphql_error(errors: &[GqlError]) -> Error {
    let msg = errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let lower = msg.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not allowed") || lower.contains("forbidden")
    {
        Error::Forbidden { detail: msg }
    } else {
        Error::BadRequest {
            detail: format!("GraphQL query failed: {msg}"),
        }
    }
}

impl Client {
    /// Run a GraphQL query and return `data.<field>`.
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        query: &str,
        variables: Value,
        field: &str,
    ) -> Result<T> {
        let body = json!({ "query": query, "variables": variables });
        let answer: Value = self
            .call_json(Call::new(Method::POST, "/admin/gql").json(&body)?)
            .await?;
        extract(answer, field)
    }

    /// The caller's sessions, one page (`compute_session_list`).
    pub async fn list_sessions(&self, req: &ListSessions) -> Result<SessionPage> {
        let vars = json!({
            "limit": req.limit,
            "offset": req.offset,
            "status": req.status.to_query(),
            "ak": req.access_key,
            "group_id": req.group_id,
        });
        match self
            .graphql(
                &session_list_query(true),
                vars.clone(),
                "compute_session_list",
            )
            .await
        {
            // Idle reports are extra: a cluster that does not know the field still lists.
            Err(Error::BadRequest { detail }) if detail.contains("idle_checks") => {
                self.graphql(&session_list_query(false), vars, "compute_session_list")
                    .await
            }
            other => other,
        }
    }

    /// One session's status by id, including ended sessions (`compute_session`).
    pub async fn session_status_record(&self, session_id: &str) -> Result<SessionStatusRecord> {
        self.graphql(
            SESSION_STATUS_QUERY,
            json!({ "id": session_id }),
            "compute_session",
        )
        .await
    }

    /// Installed images.
    pub async fn images(&self) -> Result<Vec<Image>> {
        self.graphql(IMAGES_QUERY, json!({}), "images").await
    }

    /// The logged-in user, with their projects.
    pub async fn current_user(&self) -> Result<CurrentUser> {
        self.graphql(USER_QUERY, json!({}), "user").await
    }

    /// The caller's keypair (access key, limits, usage).
    pub async fn current_keypair(&self) -> Result<CurrentKeypair> {
        self.graphql(KEYPAIR_QUERY, json!({}), "keypair").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::status::SessionStatus;

    #[test]
    fn parses_a_session_page_with_json_string_fields() {
        let body = json!({"data": {"compute_session_list": {"total_count": 3, "items": [{
            "id": "5f1c", "name": "nb-1", "type": "interactive", "image": "cr.backend.ai/stable/python:3.9",
            "architecture": "x86_64", "status": "RUNNING", "status_info": null,
            "status_changed": "2024-01-01T00:00:00+00:00", "created_at": "2024-01-01T00:00:00+00:00",
            "terminated_at": null, "scaling_group": "default",
            "service_ports": "[{\"name\": \"jupyter\", \"protocol\": \"http\", \"container_ports\": [8091], \"host_ports\": [30001], \"is_inference\": false}]",
            "occupying_slots": "{\"cpu\": \"1\", \"mem\": \"1073741824\"}",
            "requested_slots": null, "mounts": ["data"]
        }, {
            "id": "6a2d", "name": "nb-2", "status": "SOMETHING_NEW", "service_ports": null,
            "occupying_slots": "", "mounts": null
        }]}}});
        let page: SessionPage = extract(body, "compute_session_list").expect("parses");
        assert_eq!(page.total_count, 3);
        let first = &page.items[0];
        assert_eq!(first.status, SessionStatus::Running);
        assert_eq!(first.service_ports[0].name, "jupyter");
        assert_eq!(first.service_ports[0].container_ports, [8091]);
        assert_eq!(first.occupying_slots["mem"], json!("1073741824"));
        assert!(first.requested_slots.is_empty());
        let second = &page.items[1];
        assert_eq!(
            second.status,
            SessionStatus::Unknown("SOMETHING_NEW".into())
        );
        assert!(second.service_ports.is_empty() && second.mounts.is_empty());
    }

    #[test]
    fn errors_null_on_success_is_no_error() {
        // As the real manager 26.9.6 answers.
        let body = json!({"data": {"user": {"email": "admin@lablup.com", "role": "superadmin"}}, "errors": null});
        let user: CurrentUser = extract(body, "user").expect("parses");
        assert_eq!(user.email, "admin@lablup.com");
    }

    #[test]
    fn graphql_errors_inside_a_200_become_errors() {
        let body = json!({"data": null, "errors": [{"message": "Cannot query field \"x\""}]});
        let e = extract::<Value>(body, "images").expect_err("errors");
        assert_eq!(e.code(), "bad-request");
        assert!(e.to_string().contains("Cannot query field"), "{e}");
        let body = json!({"data": {"user": null}, "errors": [{"message": "Permission denied"}]});
        assert_eq!(
            extract::<Value>(body, "user")
                .expect_err("forbidden")
                .code(),
            "forbidden"
        );
        let body = json!({"data": {"keypair": null}});
        assert_eq!(
            extract::<Value>(body, "keypair").expect_err("none").code(),
            "not-found"
        );
    }

    #[test]
    fn bad_json_string_field_is_an_invalid_response() {
        let body = json!({"data": {"compute_session_list": {"total_count": 1, "items": [{
            "id": "1", "name": "x", "status": "RUNNING", "service_ports": "[{not json"
        }]}}});
        let e = extract::<SessionPage>(body, "compute_session_list").expect_err("bad");
        assert_eq!(e.code(), "invalid-response");
    }
}
