//! The app acts only on the caller's own sessions: an admin's profile cannot end another
//! user's session through the IPC path, and can end its own.

mod common;

use std::collections::BTreeMap;

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_testkit::{
    ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, TestKit, USER_ACCESS_KEY, USER_SECRET_KEY,
};
use common::*;
use serde_json::{Value, json};

fn create_as(
    rt: &tokio::runtime::Runtime,
    kit: &TestKit,
    keys: (&str, &str),
    name: &str,
) -> String {
    let cfg = ClientConfig::new(
        bai_core::Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        bai_core::EndpointKind::Api,
    );
    let client = Client::new(cfg, Credentials::keypair(keys.0, keys.1)).expect("client");
    let mut req = CreateSession::new(name, "cr.backend.ai/stable/python:3.9-ubuntu20.04");
    req.resources = BTreeMap::from([("cpu".into(), json!(1)), ("mem".into(), json!("1g"))]);
    rt.block_on(client.create_session(&req))
        .expect("create")
        .session_id
}

#[test]
fn an_admin_profile_ends_only_its_own_sessions() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let kit = rt
        .block_on(TestKit::start(Config::default()))
        .expect("testkit starts");
    let mine = create_as(
        &rt,
        &kit,
        (ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
        "admins-own",
    );
    let theirs = create_as(&rt, &kit, (USER_ACCESS_KEY, USER_SECRET_KEY), "users-own");

    let t = app();
    let w = launcher(&t.app);
    let call = |cmd: &str, args: Value| invoke_from(&w, cmd, local_origin(), args);
    let added = call(
        "add_profile",
        json!({"input": {
            "name": "Admin", "endpoint": kit.manager_url(), "kind": "api",
            "accessKey": ADMIN_ACCESS_KEY, "secret": ADMIN_SECRET_KEY,
        }}),
    )
    .expect("add");
    let id = added["id"].as_str().expect("id").to_owned();

    let refused = call(
        "terminate_session",
        json!({"profileId": id, "sessionId": theirs}),
    )
    .expect_err("another user's session");
    assert_eq!(refused["code"], "not-own-session", "{refused}");
    let status = kit.control().session_status(&theirs).expect("known");
    assert!(!status.is_terminal(), "{status:?}");

    call(
        "terminate_session",
        json!({"profileId": id, "sessionId": mine}),
    )
    .expect("own session");
    let status = kit.control().session_status(&mine).expect("known");
    assert!(
        status.is_terminal() || status == bai_testkit::Status::Terminating,
        "{status:?}"
    );
}
