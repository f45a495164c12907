//! The part of the manager's legacy GraphQL schema the testkit answers: type names and
//! their fields. Queries are validated against it before execution, as graphene does, so
//! an unknown field is reported with its real type name even when a list is empty.

/// Scalar fields of `ComputeSession` (manager `gql_legacy` `ComputeSession`).
const COMPUTE_SESSION: &[&str] = &[
    "id",
    "session_id",
    "main_kernel_id",
    "tag",
    "name",
    "type",
    "priority",
    "image",
    "architecture",
    "registry",
    "cluster_template",
    "cluster_mode",
    "cluster_size",
    "domain_name",
    "group_name",
    "group_id",
    "agent_ids",
    "user_email",
    "user_id",
    "access_key",
    "created_user_email",
    "created_user_id",
    "status",
    "status_info",
    "status_data",
    "status_changed",
    "created_at",
    "terminated_at",
    "starts_at",
    "scheduled_at",
    "startup_command",
    "result",
    "resource_opts",
    "scaling_group",
    "service_ports",
    "mounts",
    "vfolder_mounts",
    "occupying_slots",
    "occupied_slots",
    "requested_slots",
    "abusing_reports",
    "idle_checks",
];

/// Scalar fields of `ComputeContainer` (one kernel of a session).
const COMPUTE_CONTAINER: &[&str] = &[
    "id",
    "idx",
    "role",
    "hostname",
    "kernel_id",
    "cluster_idx",
    "local_rank",
    "cluster_role",
    "cluster_hostname",
    "session_id",
    "image",
    "architecture",
    "registry",
    "status",
    "status_changed",
    "status_info",
    "status_data",
    "created_at",
    "terminated_at",
    "starts_at",
    "scheduled_at",
    "abusing_report",
    "agent",
    "agent_addr",
    "container_id",
    "resource_opts",
    "occupied_slots",
    "live_stat",
    "last_stat",
    "preopen_ports",
];

const IMAGE: &[&str] = &[
    "id",
    "name",
    "namespace",
    "base_image_name",
    "humanized_name",
    "tag",
    "registry",
    "architecture",
    "digest",
    "installed",
    "is_local",
    "size_bytes",
    "supported_accelerators",
    "aliases",
];

/// Scalar fields of `User` (manager `gql_models/user.py`); `backend.ai admin user info`
/// selects `status_info`, `sudo_session_enabled` and `main_access_key` by default.
const USER: &[&str] = &[
    "id",
    "uuid",
    "email",
    "username",
    "full_name",
    "description",
    "role",
    "domain_name",
    "status",
    "status_info",
    "is_active",
    "need_password_change",
    "resource_policy",
    "created_at",
    "modified_at",
    "allowed_client_ip",
    "totp_activated",
    "totp_activated_at",
    "sudo_session_enabled",
    "main_access_key",
    "container_uid",
    "container_main_gid",
    "container_gids",
];

/// Scalar fields of `KeyPair` (manager `gql_models/keypair.py`). The official CLI's
/// `KeyPair.info()` (run first by `backend.ai ps`) selects `secret_key`; the real manager
/// returns the caller's own secret, which the caller already holds.
const KEYPAIR: &[&str] = &[
    "id",
    "user_id",
    "full_name",
    "access_key",
    "secret_key",
    "is_active",
    "is_admin",
    "resource_policy",
    "created_at",
    "last_used",
    "rate_limit",
    "num_queries",
    "rolling_count",
    "user",
    "projects",
    "ssh_public_key",
    "concurrency_used",
    "concurrency_limit",
];

/// The root type's name, as graphene calls it.
pub const ROOT: &str = "Queries";

/// What `name` on type `ty` returns: `Some("")` for a scalar, `Some(type)` for an object
/// (or a list of objects), `None` if `ty` has no such field.
pub fn field_type(ty: &str, name: &str) -> Option<&'static str> {
    let object = match (ty, name) {
        (_, "__typename") => Some(""),
        (ROOT, "compute_session_list") => Some("ComputeSessionList"),
        (ROOT, "compute_session") => Some("ComputeSession"),
        (ROOT, "images" | "image") => Some("Image"),
        (ROOT, "user") => Some("User"),
        (ROOT, "keypair") => Some("KeyPair"),
        ("ComputeSessionList", "items") => Some("ComputeSession"),
        ("ComputeSessionList", "total_count") => Some(""),
        ("ComputeSession", "containers") => Some("ComputeContainer"),
        ("ComputeSession", "dependencies") => Some("ComputeSession"),
        ("Image", "labels") => Some("KVPair"),
        ("Image", "resource_limits") => Some("ResourceLimit"),
        ("KVPair", "key" | "value") => Some(""),
        ("ResourceLimit", "key" | "min" | "max") => Some(""),
        ("User", "groups") => Some("UserGroup"),
        ("KeyPair", "user_info") => Some("UserInfo"),
        ("UserInfo", "email" | "full_name") => Some(""),
        ("UserGroup", "id" | "name") => Some(""),
        _ => None,
    };
    if object.is_some() {
        return object;
    }
    let scalars: &[&str] = match ty {
        "ComputeSession" => COMPUTE_SESSION,
        "ComputeContainer" => COMPUTE_CONTAINER,
        "Image" => IMAGE,
        "User" => USER,
        "KeyPair" => KEYPAIR,
        _ => &[],
    };
    scalars.contains(&name).then_some("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_sdk_default_session_fields_and_their_types() {
        for f in [
            "id",
            "image",
            "type",
            "status",
            "status_info",
            "status_changed",
            "result",
            "abusing_reports",
            "registry",
            "cluster_template",
            "created_user_email",
            "created_user_id",
        ] {
            assert_eq!(field_type("ComputeSession", f), Some(""), "{f}");
        }
        assert_eq!(
            field_type("ComputeSession", "containers"),
            Some("ComputeContainer")
        );
        assert_eq!(
            field_type(ROOT, "compute_session_list"),
            Some("ComputeSessionList")
        );
        assert_eq!(field_type("ComputeSession", "nosuch"), None);
        assert_eq!(field_type("ComputeSessionList", "id"), None);
    }
}
