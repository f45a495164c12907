//! Every typed call in keypair mode against the testkit over loopback.

mod common;

use std::collections::BTreeMap;

use bai_core::client::{CreateSession, ListSessions, SessionStatus, StatusFilter};
use common::*;
use serde_json::json;

#[tokio::test]
async fn server_info_negotiates_and_signs_every_call() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let info = client.server_info().await.expect("GET /");
    assert_eq!(info.version.to_string(), "v9.20250722");
    assert!(info.manager.is_some());
    assert_eq!(
        client.api_version().await.expect("cached").to_string(),
        "v9.20250722"
    );

    kit.control().clear_requests();
    client.resource_presets().await.expect("presets");
    let reqs = kit.control().requests();
    let req = reqs
        .iter()
        .find(|r| r.path == "/resource/presets")
        .expect("recorded");
    let header = |n: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(
        header("x-backendai-version").as_deref(),
        Some("v9.20250722")
    );
    assert_eq!(header("content-type").as_deref(), Some("text/plain"));
    assert!(header("authorization").is_some_and(|a| {
        a.starts_with("BackendAI signMethod=HMAC-SHA256, credential=AKIAIOSFODNN7EXAMPLE:")
    }));
}

#[tokio::test]
async fn session_lifecycle_create_info_apps_list_destroy() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let name = name("life");
    let mut req = CreateSession::new(&name, IMAGE);
    req.resources = BTreeMap::from([("cpu".into(), json!(1)), ("mem".into(), json!("1g"))]);
    let created = client.create_session(&req).await.expect("create");
    assert_eq!(created.session_name, name);
    assert_eq!(created.status, SessionStatus::Pending);
    assert!(created.created);
    assert!(!created.session_id.is_empty());

    let info = client
        .session_info(&created.session_id)
        .await
        .expect("info");
    assert!(!info.status.is_terminal(), "{:?}", info.status);

    // Reaches RUNNING on the testkit's schedule; then the apps are listed.
    let mut status = info.status;
    for _ in 0..100 {
        if status.is_running() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        status = client
            .session_info(&name)
            .await
            .expect("info by name")
            .status;
    }
    assert_eq!(status, SessionStatus::Running);
    let apps = client
        .session_apps(&created.session_id)
        .await
        .expect("apps");
    let names: Vec<_> = apps.iter().map(|a| a.name.as_str()).collect();
    assert!(
        names.contains(&"jupyter") && names.contains(&"jupyterlab"),
        "{names:?}"
    );
    assert!(apps.iter().all(|a| !a.ports.is_empty()));

    let page = client
        .list_sessions(&ListSessions::default())
        .await
        .expect("list");
    let item = page
        .items
        .iter()
        .find(|s| s.id == created.session_id)
        .expect("listed");
    assert_eq!(item.status, SessionStatus::Running);
    assert!(page.total_count >= 1);
    assert!(
        item.service_ports.iter().any(|p| p.name == "jupyterlab"),
        "{item:?}"
    );

    client
        .destroy_session(&created.session_id, false)
        .await
        .expect("destroy");
    for _ in 0..100 {
        if kit
            .control()
            .session_status(&created.session_id)
            .is_some_and(|s| s.as_str() == "TERMINATED")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all = client
        .list_sessions(&ListSessions {
            status: StatusFilter::All,
            ..Default::default()
        })
        .await
        .expect("list all");
    let item = all
        .items
        .iter()
        .find(|s| s.id == created.session_id)
        .expect("still listed");
    assert!(
        item.status.is_terminal() || item.status == SessionStatus::Terminating,
        "{:?}",
        item.status
    );
    let active = client
        .list_sessions(&ListSessions::default())
        .await
        .expect("list");
    assert!(
        active
            .items
            .iter()
            .all(|s| s.id != created.session_id || !s.status.is_terminal())
    );
}

#[tokio::test]
async fn reuse_if_exists_returns_the_existing_session() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let name = name("reuse");
    let first = client
        .create_session(&CreateSession::new(&name, IMAGE))
        .await
        .expect("create");
    let mut again = CreateSession::new(&name, IMAGE);
    again.reuse_if_exists = true;
    let second = client.create_session(&again).await.expect("reuse");
    assert_eq!(second.session_id, first.session_id);
    assert!(!second.created);
}

#[tokio::test]
async fn images_user_keypair_role_resources_folders() {
    let kit = kit().await;
    let client = keypair_client(&kit);

    let images = client.images().await.expect("images");
    let py = images
        .iter()
        .find(|i| i.reference() == IMAGE)
        .unwrap_or_else(|| {
            panic!(
                "{IMAGE} not among {:?}",
                images.iter().map(|i| i.reference()).collect::<Vec<_>>()
            )
        });
    let apps = py.service_port_names();
    assert!(
        apps.contains(&"jupyter".to_owned()) && apps.contains(&"jupyterlab".to_owned()),
        "{apps:?}"
    );

    let user = client.current_user().await.expect("user");
    assert_eq!(user.email, ADMIN_EMAIL);
    assert!(user.groups.iter().any(|g| g.name == "default"), "{user:?}");

    let kp = client.current_keypair().await.expect("keypair");
    assert_eq!(kp.access_key, ADMIN_AK);

    let roles = client.role(None).await.expect("role");
    assert_eq!(roles.global_role.as_deref(), Some("superadmin"));

    let presets = client.resource_presets().await.expect("presets");
    assert!(!presets.is_empty());
    assert!(
        presets.iter().all(|p| p.resource_slots.contains_key("cpu")),
        "{presets:?}"
    );

    let check = client
        .check_presets("default", None)
        .await
        .expect("check presets");
    assert_eq!(check.presets.len(), presets.len());
    assert!(check.presets.iter().any(|p| p.allocatable));

    let groups = client
        .resource_groups("default")
        .await
        .expect("resource groups");
    assert!(!groups.is_empty());

    let folders = client.vfolders().await.expect("folders");
    let names: Vec<_> = folders.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"myfolder"), "{names:?}");
}

#[tokio::test]
async fn invalid_session_names_never_reach_the_server() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    client.server_info().await.expect("version");
    kit.control().clear_requests();
    let e = client
        .create_session(&CreateSession::new("a b", IMAGE))
        .await
        .expect_err("bad name");
    assert_eq!(e.code(), "invalid-input");
    assert!(
        kit.control()
            .requests()
            .iter()
            .all(|r| r.path != "/session")
    );
}
