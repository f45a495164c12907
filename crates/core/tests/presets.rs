//! Presets against the testkit: the fit with and without the cluster's check, and a preset by
//! name, whichever way the server writes its amounts.

mod common;

use bai_core::client::CreateSession;
use bai_core::presets::{cluster_presets, resolve_preset};
use bai_testkit::{FaultKind, FaultRule};
use common::*;
use serde_json::json;

#[tokio::test]
async fn presets_come_with_their_fit_or_an_unknown_one_when_the_check_fails() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let listed = cluster_presets(&client, "default", None)
        .await
        .expect("presets");
    assert!(listed.fit_error.is_none());
    let fit = |l: &bai_core::presets::ClusterPresets, name: &str| {
        l.presets
            .iter()
            .find(|p| p.preset.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .allocatable
    };
    assert_eq!(fit(&listed, "cpu01-small"), Some(true));
    assert_eq!(fit(&listed, "cpu16-huge"), Some(false));
    assert!(!listed.remaining.is_empty());

    kit.control().fail_next(FaultRule::new(
        "/resource/check-presets",
        FaultKind::Status {
            status: 403,
            type_slug: "forbidden".into(),
            title: "Forbidden".into(),
            error_code: None,
        },
    ));
    let listed = cluster_presets(&client, "default", None)
        .await
        .expect("still listed");
    assert_eq!(
        listed.fit_error.as_ref().map(bai_core::Error::code),
        Some("forbidden")
    );
    assert_eq!(fit(&listed, "cpu01-small"), None);
    assert_eq!(fit(&listed, "cpu16-huge"), None);
    assert!(listed.remaining.is_empty());
}

#[tokio::test]
async fn a_preset_by_name_is_the_same_request_from_strings_or_numbers() {
    let kit = kit().await;
    let client = keypair_client(&kit);
    let strings = resolve_preset(&client, "cpu02-medium")
        .await
        .expect("known");
    let numbers = resolve_preset(&client, "cpu02-numbers")
        .await
        .expect("known");
    for p in [&strings, &numbers] {
        let mut spec = CreateSession::new(name("pst"), IMAGE);
        p.apply_to(&mut spec);
        let wire = spec.to_wire();
        assert_eq!(
            wire["config"]["resources"],
            json!({"cpu": 2, "mem": "4294967296"}),
            "{}",
            p.name
        );
        assert_eq!(
            wire["config"]["resource_opts"],
            json!({"shmem": "1073741824"})
        );
        // The testkit takes it as the manager would.
        let made = client.create_session(&spec).await.expect("created");
        let sent = kit.control().create_config(&spec.name).expect("recorded");
        assert_eq!(sent, wire["config"], "{}", made.session_id);
    }

    let e = resolve_preset(&client, "nope").await.expect_err("unknown");
    assert_eq!(e.code(), "invalid-input");
    assert!(e.to_string().contains("cpu01-small, cpu02-medium"), "{e}");
}
