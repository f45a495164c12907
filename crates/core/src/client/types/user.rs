//! The caller: user, keypair and roles.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
}

/// GraphQL `user` (no arguments: the caller).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CurrentUser {
    #[serde(default)]
    pub uuid: Option<String>,
    pub email: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub domain_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub groups: Vec<ProjectRef>,
}

/// GraphQL `keypair` (no arguments: the caller's).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct CurrentKeypair {
    pub access_key: String,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub is_admin: Option<bool>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub resource_policy: Option<String>,
    #[serde(default)]
    pub rate_limit: Option<u64>,
    #[serde(default)]
    pub concurrency_used: Option<u64>,
    #[serde(default)]
    pub num_queries: Option<u64>,
    #[serde(default)]
    pub last_used: Option<String>,
}

/// `GET /auth/role`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Roles {
    #[serde(default)]
    pub global_role: Option<String>,
    #[serde(default)]
    pub domain_role: Option<String>,
    #[serde(default)]
    pub group_role: Option<String>,
}
