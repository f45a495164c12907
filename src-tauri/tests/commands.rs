//! The profile, settings and demo commands through the real IPC path, against a real
//! Backend.AI-compatible server (the testkit) on loopback. Secrets are in an in-memory store.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use bai_launcher::AppState;
use bai_secrets::{SecretKind, SecretRef, SecretStore};
use bai_testkit::{
    ADMIN_ACCESS_KEY, ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_SECRET_KEY, Config, MANAGER_VERSION,
    TestKit,
};
use common::*;
use serde_json::{Value, json};
use tauri::test::MockRuntime;
use tauri::{Manager, WebviewWindow};

fn server() -> Server {
    server_with(Config::default())
}

fn ok(w: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Value {
    call(w, cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn keypair_input(name: &str, endpoint: &str, secret: &str) -> Value {
    json!({"input": {
        "name": name, "endpoint": endpoint, "kind": "api",
        "accessKey": ADMIN_ACCESS_KEY, "secret": secret,
    }})
}

/// Every file under `dir`, read as text, joined: to check a secret never lands on disk.
fn all_files(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.push_str(&all_files(&p));
        } else {
            out.push_str(&String::from_utf8_lossy(&std::fs::read(&p).expect("read")));
        }
    }
    out
}

#[test]
fn first_run_has_no_profiles_and_default_settings() {
    let t = app();
    let w = launcher(&t.app);
    let list = ok(&w, "list_profiles", json!({}));
    assert_eq!(list["profiles"], json!([]));
    assert_eq!(list["defaultId"], Value::Null);
    assert_eq!(list["keyringError"], Value::Null);
    let settings = ok(&w, "get_settings", json!({}));
    assert_eq!(
        settings,
        json!({"defaultProfileId": null, "quickStart": null, "notebookClose": "ask",
               "startAtLogin": false, "idleWarnMinutes": 10, "spendGuardMinutes": null,
               "warning": null})
    );
    // Listing never writes: no config file appears.
    assert!(!t.dir.path().join("profiles.toml").exists());
}

#[test]
fn a_keypair_profile_is_added_listed_masked_and_tested() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let added = ok(
        &w,
        "add_profile",
        keypair_input("Lab", &s.kit.manager_url(), ADMIN_SECRET_KEY),
    );
    assert_eq!(added["name"], "Lab");
    assert_eq!(added["hasSecret"], true);
    // The mask shows no character of the secret, not even its head and tail.
    assert_eq!(added["secretMasked"], bai_secrets::MASK);
    assert_eq!(added["isDefault"], true, "the first profile is the default");
    let id = added["id"].as_str().expect("an id").to_owned();

    let list = ok(&w, "list_profiles", json!({}));
    assert_eq!(list["profiles"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["defaultId"], id.as_str());
    assert!(!list.to_string().contains(ADMIN_SECRET_KEY));
    assert!(!added.to_string().contains(ADMIN_SECRET_KEY));

    // The secret is in the secret store, keyed by id, and nowhere in the config dir.
    let stored = t
        .secrets
        .get(&SecretRef::new(&id, SecretKind::SecretKey))
        .expect("get")
        .expect("stored");
    assert_eq!(stored.expose(), ADMIN_SECRET_KEY);
    let on_disk = all_files(t.dir.path());
    assert!(on_disk.contains(ADMIN_ACCESS_KEY), "the profile is on disk");
    assert!(!on_disk.contains(ADMIN_SECRET_KEY), "the secret is not");

    let report = ok(&w, "test_connection", json!({"id": id}));
    assert_eq!(report["email"], ADMIN_EMAIL);
    assert_eq!(report["serverVersion"], MANAGER_VERSION);
    assert_eq!(report["role"], "superadmin");
    assert!(
        report["apiVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with('v')),
        "{report}"
    );
}

#[test]
fn a_wrong_secret_fails_the_test_with_auth_failed() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let added = ok(
        &w,
        "add_profile",
        keypair_input("Lab", &s.kit.manager_url(), "not-the-secret-key-0000"),
    );
    let err = call(&w, "test_connection", json!({"id": added["id"]})).expect_err("401");
    assert_eq!(err["code"], "auth-failed", "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("authentication failed")),
        "{err}"
    );
}

#[test]
fn edit_rename_default_and_remove() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let a = ok(
        &w,
        "add_profile",
        keypair_input("A", &s.kit.manager_url(), "x"),
    );
    let b = ok(
        &w,
        "add_profile",
        keypair_input("B", &s.kit.manager_url(), "y"),
    );
    assert_eq!(b["isDefault"], false);

    // Editing without a secret keeps the stored one.
    let edited = ok(
        &w,
        "update_profile",
        json!({"id": a["id"], "input": {
            "name": "A", "endpoint": s.kit.manager_url(), "kind": "api",
            "accessKey": "AKNEW", "project": "research"}}),
    );
    assert_eq!(edited["accessKey"], "AKNEW");
    assert_eq!(edited["project"], "research");
    assert_eq!(edited["hasSecret"], true);

    let renamed = ok(
        &w,
        "rename_profile",
        json!({"id": a["id"], "newName": "Alpha"}),
    );
    assert_eq!(renamed["name"], "Alpha");
    assert_eq!(
        renamed["id"], a["id"],
        "renaming keeps the id, so the secret"
    );
    assert_eq!(renamed["hasSecret"], true);

    let clash = call(
        &w,
        "rename_profile",
        json!({"id": b["id"], "newName": "Alpha"}),
    )
    .expect_err("taken");
    assert_eq!(clash["code"], "profile-exists");

    let d = ok(&w, "set_default_profile", json!({"id": b["id"]}));
    assert_eq!(d["isDefault"], true);
    assert_eq!(ok(&w, "list_profiles", json!({}))["defaultId"], b["id"]);

    ok(&w, "remove_profile", json!({"id": b["id"]}));
    let list = ok(&w, "list_profiles", json!({}));
    assert_eq!(list["profiles"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["defaultId"], Value::Null);
    let b_id = b["id"].as_str().expect("id");
    assert_eq!(
        t.secrets
            .get(&SecretRef::new(b_id, SecretKind::SecretKey))
            .expect("get"),
        None,
        "removing deletes its secrets"
    );
    let gone = call(&w, "remove_profile", json!({"id": b["id"]})).expect_err("gone");
    assert_eq!(gone["code"], "profile-not-found");
}

/// Issue 11: the app's edit goes through the core's edit rule. A form that does not send the
/// TLS fields keeps them; a new endpoint or email clears the login session; a bad resource is
/// refused.
#[test]
fn editing_keeps_tls_clears_the_login_session_and_checks_resources() {
    let t = app();
    let w = launcher(&t.app);
    let ca = t.dir.path().join("private-ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").expect("ca");
    let a = ok(
        &w,
        "add_profile",
        json!({"input": {
            "name": "Lab", "endpoint": "https://web.example.com", "kind": "webserver",
            "email": "me@example.com", "caCert": ca.display().to_string(),
            "skipTlsVerify": true}}),
    );
    let id = a["id"].as_str().expect("id").to_owned();
    let session = SecretRef::new(&id, SecretKind::LoginSession);
    t.secrets
        .set(&session, &bai_secrets::Secret::new("old-session-id"))
        .expect("set");

    // The form as it was: no caCert, no skipTlsVerify. A rename keeps both, and the session.
    let renamed = ok(
        &w,
        "update_profile",
        json!({"id": id, "input": {
            "name": "Lab 2", "endpoint": "https://web.example.com", "kind": "webserver",
            "email": "me@example.com"}}),
    );
    assert_eq!(renamed["name"], "Lab 2");
    assert_eq!(renamed["caCert"], ca.display().to_string());
    assert_eq!(renamed["skipTlsVerify"], true);
    assert!(t.secrets.get(&session).expect("get").is_some());

    for (endpoint, email) in [
        ("https://other.example.com", "me@example.com"),
        ("https://other.example.com", "someone@example.com"),
    ] {
        t.secrets
            .set(&session, &bai_secrets::Secret::new("old-session-id"))
            .expect("set");
        ok(
            &w,
            "update_profile",
            json!({"id": id, "input": {
                "name": "Lab 2", "endpoint": endpoint, "kind": "webserver", "email": email}}),
        );
        assert_eq!(
            t.secrets.get(&session).expect("get"),
            None,
            "{endpoint} {email}: the old login session is gone"
        );
    }

    let bad = call(
        &w,
        "update_profile",
        json!({"id": id, "input": {
            "name": "Lab 2", "endpoint": "https://other.example.com", "kind": "webserver",
            "email": "someone@example.com", "resources": {"mem": "banana"}}}),
    )
    .expect_err("refused");
    assert_eq!(bad["code"], "invalid-input");
    assert!(
        bad["message"]
            .as_str()
            .is_some_and(|m| m.contains("banana")),
        "{bad}"
    );
    let cleared = ok(
        &w,
        "update_profile",
        json!({"id": id, "input": {
            "name": "Lab 2", "endpoint": "https://other.example.com", "kind": "webserver",
            "email": "someone@example.com", "caCert": "", "skipTlsVerify": false}}),
    );
    assert_eq!(cleared["caCert"], Value::Null);
    assert_eq!(cleared["skipTlsVerify"], false);
}

#[test]
fn invalid_input_is_refused_with_its_code() {
    let t = app();
    let w = launcher(&t.app);
    let e = call(&w, "add_profile", keypair_input("X", "ftp://nowhere", "s")).expect_err("bad");
    assert_eq!(e["code"], "invalid-endpoint");
    // The one endpoint parser (core) refuses a lone word for the app as for `bai profile add`.
    let e = call(&w, "add_profile", keypair_input("X", "not-a-url", "s")).expect_err("a word");
    assert_eq!(e["code"], "invalid-endpoint");
    let e = call(
        &w,
        "add_profile",
        json!({"input": {"name": " ", "endpoint": "http://127.0.0.1:1", "kind": "api",
                         "accessKey": "AK"}}),
    )
    .expect_err("no name");
    assert_eq!(e["code"], "invalid-input");
    assert_eq!(ok(&w, "list_profiles", json!({}))["profiles"], json!([]));
}

#[test]
fn detect_tells_the_api_from_the_webserver() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let api = ok(&w, "detect_endpoint", json!({"url": s.kit.manager_url()}));
    assert_eq!(api["kind"], "api");
    assert_eq!(api["managerVersion"], MANAGER_VERSION);
    // A pasted web UI page address: the origin is what gets stored.
    let pasted = format!("{}/summary", s.kit.webserver_url());
    let web = ok(&w, "detect_endpoint", json!({"url": pasted}));
    assert_eq!(web["kind"], "webserver");
    assert_eq!(web["endpoint"], s.kit.webserver_url());
    let refused =
        call(&w, "detect_endpoint", json!({"url": "http://127.0.0.1:9"})).expect_err("closed");
    assert_eq!(refused["code"], "connection-refused");
}

#[test]
fn a_webserver_profile_with_a_remembered_password_signs_in() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let added = ok(
        &w,
        "add_profile",
        json!({"input": {"name": "Web", "endpoint": s.kit.webserver_url(), "kind": "webserver",
                         "email": ADMIN_EMAIL, "rememberPassword": true, "secret": ADMIN_PASSWORD}}),
    );
    assert_eq!(added["hasSecret"], true);
    let report = ok(&w, "test_connection", json!({"id": added["id"]}));
    assert_eq!(report["email"], ADMIN_EMAIL);
}

/// Signing in from the profile form, as the server answers: a wrong password or a missing
/// one-time code adds no profile and keeps no secret; the code the form then sends completes
/// the sign-in.
#[test]
fn a_refused_sign_in_adds_nothing_and_a_one_time_code_completes_it() {
    const EMAIL: &str = "two-factor@example.com";
    const PASSWORD: &str = "pw-of-the-two-factor-user";
    let mut config = Config::default();
    config.users.push(
        bai_testkit::User::new(EMAIL, PASSWORD, "user")
            .with_keypair(
                "AKIATWOFACTOR0000000",
                "two-factor-secret-key-000000000000000000",
            )
            .with_otp("424242"),
    );
    let kit = server_with(config);
    let kit = &kit.kit;
    let t = app();
    let w = launcher(&t.app);
    let input = |secret: &str, otp: Option<&str>, remember: bool| {
        let mut input = json!({"name": "Web", "endpoint": kit.webserver_url(), "kind": "webserver",
            "email": EMAIL, "rememberPassword": remember, "secret": secret});
        if let Some(code) = otp {
            input["otp"] = json!(code);
        }
        json!({ "input": input })
    };
    let nothing_added = |why: &str| {
        let list = ok(&w, "list_profiles", json!({}));
        assert_eq!(list["profiles"], json!([]), "{why}");
        assert!(
            t.secrets.list().expect("list secrets").is_empty(),
            "{why}: a secret was kept"
        );
    };

    // A remembered wrong password used to be stored without signing in.
    let wrong = call(&w, "add_profile", input("not-the-password", None, true)).expect_err("wrong");
    assert_eq!(wrong["code"], "auth-failed", "{wrong}");
    assert!(
        wrong["message"]
            .as_str()
            .unwrap_or("")
            .contains("email or password"),
        "{wrong}"
    );
    nothing_added("wrong password");

    let asked = call(&w, "add_profile", input(PASSWORD, None, true)).expect_err("needs a code");
    assert_eq!(asked["code"], "otp-required", "{asked}");
    nothing_added("no code");

    let bad_code =
        call(&w, "add_profile", input(PASSWORD, Some("000000"), true)).expect_err("bad code");
    assert_eq!(bad_code["code"], "auth-failed", "{bad_code}");
    nothing_added("wrong code");

    let added = ok(&w, "add_profile", input(PASSWORD, Some("424242"), false));
    let id = added["id"].as_str().expect("id").to_owned();
    // Signed in: the login session is kept, the password (not remembered) is not.
    let session = t
        .secrets
        .get(&SecretRef::new(&id, SecretKind::LoginSession))
        .expect("get");
    assert!(session.is_some(), "no login session kept");
    let password = t
        .secrets
        .get(&SecretRef::new(&id, SecretKind::Password))
        .expect("get");
    assert!(
        password.is_none(),
        "a password not to be remembered was kept"
    );
    let report = ok(&w, "test_connection", json!({"id": id}));
    assert_eq!(report["email"], EMAIL);
    assert!(!all_files(t.dir.path()).contains(PASSWORD));
}

/// At the account's concurrent-login limit the form's save fails with its own code, and only
/// the explicit "sign out the other session" (`forceLogin`) signs in, logging that one out.
#[test]
fn at_the_login_limit_only_an_explicit_choice_signs_the_other_session_out() {
    const EMAIL: &str = "single@example.com";
    const PASSWORD: &str = "pw-of-the-single-login-user";
    let mut config = Config::default();
    config.users.push(
        bai_testkit::User::new(EMAIL, PASSWORD, "user")
            .with_keypair(
                "AKIASINGLELOGIN00000",
                "single-login-secret-key-0000000000000000",
            )
            .with_max_concurrent_logins(1),
    );
    let kit = server_with(config);
    let kit = &kit.kit;
    let t = app();
    let w = launcher(&t.app);
    let input = |name: &str, force: bool| {
        json!({"input": {"name": name, "endpoint": kit.webserver_url(), "kind": "webserver",
            "email": EMAIL, "rememberPassword": false, "secret": PASSWORD, "forceLogin": force}})
    };
    let first = ok(&w, "add_profile", input("Browser", false));
    let refused = call(&w, "add_profile", input("Laptop", false)).expect_err("at the limit");
    assert_eq!(refused["code"], "active-login-session-exists", "{refused}");
    let list = ok(&w, "list_profiles", json!({}));
    assert_eq!(list["profiles"].as_array().map(Vec::len), Some(1), "{list}");
    // The first session still works: nothing was signed out by the refused attempt.
    ok(&w, "test_connection", json!({"id": first["id"]}));

    let forced = ok(&w, "add_profile", input("Laptop", true));
    ok(&w, "test_connection", json!({"id": forced["id"]}));
    // The oldest session was signed out: the first profile must sign in again.
    let gone = call(&w, "test_connection", json!({"id": first["id"]})).expect_err("logged out");
    assert_eq!(gone["code"], "login-required", "{gone}");
}

#[test]
fn settings_persist_with_the_default_profiles_quick_start() {
    let s = server();
    let t = app();
    let w = launcher(&t.app);
    let a = ok(
        &w,
        "add_profile",
        keypair_input("A", &s.kit.manager_url(), "x"),
    );
    let saved = ok(
        &w,
        "save_settings",
        json!({"input": {"defaultProfileId": a["id"], "notebookClose": "terminate",
            "startAtLogin": false,
            "quickStart": {"image": " python ", "resources": {"cpu": "2", "mem": ""}, "app": "jupyterlab"}}}),
    );
    assert_eq!(saved["notebookClose"], "terminate");
    assert_eq!(
        saved["quickStart"],
        json!({"image": "python", "resources": {"cpu": "2"}, "app": "jupyterlab"})
    );
    // A fresh app over the same directory sees the same settings.
    let again =
        bai_launcher::commands::settings::view(&AppState::new(t.dir.path(), t.secrets.clone()))
            .expect("view");
    assert_eq!(serde_json::to_value(&again).expect("json"), saved);
    assert!(t.dir.path().join("settings.toml").exists());
}

/// The idle warnings' settings are kept, reach the session service at once, and nonsense is
/// refused with what to give instead.
#[test]
fn idle_warning_settings_persist_apply_and_refuse_nonsense() {
    let t = app();
    let w = launcher(&t.app);
    let input = |warn: Value, spend: Value| {
        json!({"input": {"defaultProfileId": null, "notebookClose": "ask", "startAtLogin": false,
            "idleWarnMinutes": warn, "spendGuardMinutes": spend}})
    };
    let saved = ok(&w, "save_settings", input(json!(15), json!(45)));
    assert_eq!(
        (
            saved["idleWarnMinutes"].clone(),
            saved["spendGuardMinutes"].clone()
        ),
        (json!(15), json!(45))
    );
    let service = t.app.state::<AppState>().service.clone();
    assert_eq!(
        service.idle_settings(),
        bai_core::idle::IdleSettings {
            warn_before_minutes: 15,
            spend_after_minutes: Some(45)
        }
    );
    for (warn, spend, field) in [
        (json!(5000), json!(null), "idleWarnMinutes"),
        (json!(10), json!(0), "spendGuardMinutes"),
        (json!(10), json!(100000), "spendGuardMinutes"),
    ] {
        let e = call(&w, "save_settings", input(warn, spend)).expect_err("refused");
        assert_eq!(e["code"], "invalid-input", "{e}");
        assert!(
            e["message"].as_str().is_some_and(|m| m.contains(field)),
            "{e}"
        );
    }
    // Refused saves changed nothing.
    let kept = ok(&w, "get_settings", json!({}));
    assert_eq!(
        (
            kept["idleWarnMinutes"].clone(),
            kept["spendGuardMinutes"].clone()
        ),
        (json!(15), json!(45))
    );
}

/// The app finds orphans with the core's rule: a profile in another known config directory
/// (here the default one) keeps its secrets.
#[test]
fn orphans_are_judged_across_config_dirs() {
    let t = app();
    let state = t.app.state::<AppState>();
    let default_dir = t.dir.path().join("default-config");
    let elsewhere = bai_core::profile::ProfileStore::new(&default_dir)
        .add(
            bai_core::profile::ProfileDraft {
                name: "work".into(),
                endpoint: "https://api.example.com".into(),
                access_key: Some(ADMIN_ACCESS_KEY.into()),
                ..Default::default()
            },
            false,
        )
        .expect("add");
    let used = SecretRef::new(&elsewhere.id, SecretKind::SecretKey);
    let orphan = SecretRef::new("00000000-dead-beef-0000-000000000000", SecretKind::Password);
    for r in [&used, &orphan] {
        t.secrets
            .set(r, &bai_secrets::Secret::new("x"))
            .expect("set");
    }
    let view = bai_launcher::commands::profiles::orphans(
        &state,
        &bai_core::profile::KnownDirs::at(&default_dir),
    )
    .expect("orphans");
    let ids: Vec<&str> = view.orphans.iter().map(|o| o.profile_id.as_str()).collect();
    assert_eq!(ids, ["00000000-dead-beef-0000-000000000000"]);
    assert!(view.blocked.is_empty(), "{:?}", view.blocked);
    assert_eq!(view.config_dirs.len(), 2, "{:?}", view.config_dirs);
}

#[test]
fn import_from_the_official_clients_environment() {
    let s = server();
    let t = app();
    let state = t.app.state::<AppState>();
    let url = s.kit.manager_url();
    let vars = |k: &str| match k {
        "BACKEND_ENDPOINT" => Some(url.clone()),
        "BACKEND_ACCESS_KEY" => Some(ADMIN_ACCESS_KEY.to_owned()),
        "BACKEND_SECRET_KEY" => Some(ADMIN_SECRET_KEY.to_owned()),
        _ => None,
    };
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let p = rt
        .block_on(bai_launcher::commands::profiles::import_env(
            &state, None, vars,
        ))
        .expect("imported");
    assert_eq!(p.name, "Imported");
    assert!(p.has_secret);
    let report = rt
        .block_on(bai_launcher::commands::profiles::test(&state, &p.id))
        .expect("works");
    assert_eq!(report.email, ADMIN_EMAIL);
    let e = rt
        .block_on(bai_launcher::commands::profiles::import_env(
            &state,
            None,
            |_| None,
        ))
        .expect_err("nothing set");
    assert_eq!(e.code, "nothing-to-import");
    assert!(!e.message.contains("`bai "), "{}", e.message);
    assert!(e.message.contains("Add a profile"), "{}", e.message);

    // No variables: the profile the official client uses, from its folder in HOME.
    let home = tempfile::tempdir().expect("home");
    let folder = home.path().join(".backend.ai");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(
        folder.join("config.toml"),
        format!("[backend-ai]\nendpoint = \"{url}\"\nendpoint_type = \"api\"\n"),
    )
    .expect("config");
    std::fs::write(
        folder.join("credentials.toml"),
        format!(
            "[backend-ai]\naccess_key = \"{ADMIN_ACCESS_KEY}\"\nsecret_key = \"{ADMIN_SECRET_KEY}\"\n"
        ),
    )
    .expect("credentials");
    let home_var = home.path().display().to_string();
    let p = rt
        .block_on(bai_launcher::commands::profiles::import_env(
            &state,
            None,
            |k| (k == "HOME").then(|| home_var.clone()),
        ))
        .expect("imported from ~/.backend.ai");
    assert!(p.has_secret);
    // Named after the endpoint's host, as `bai profile import --official` names it.
    assert_eq!(
        p.name,
        bai_core::profile::transfer::name_from_endpoint(&url)
    );
    assert_eq!(p.endpoint.trim_end_matches('/'), url.trim_end_matches('/'));
    let report = rt
        .block_on(bai_launcher::commands::profiles::test(&state, &p.id))
        .expect("works");
    assert_eq!(report.email, ADMIN_EMAIL);
}

/// A stand-in for `bai-testkit`: a real child process that prints the ready line of the real
/// server (started in this test) and then waits to be stopped.
fn fake_testkit(dir: &Path, kit: &TestKit, pid_file: &Path) -> std::path::PathBuf {
    let line = json!({
        "manager_url": kit.manager_url(), "webserver_url": kit.webserver_url(),
        "access_key": ADMIN_ACCESS_KEY, "secret_key": ADMIN_SECRET_KEY,
        "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "jupyter": null,
    });
    let script = dir.join("fake-testkit");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho $$ >> '{}'\n[ \"$1 $2\" = '--jupyter auto' ] || exit 3\n[ \"$BAI_TESTKIT_JUPYTER\" = '{}' ] || exit 4\necho '{}'\nexec sleep 600\n",
            pid_file.display(),
            dir.join("jupyter").display(),
            line
        ),
    )
    .expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    script
}

fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[cfg(target_os = "linux")]
#[test]
fn the_demo_starts_adds_one_profile_and_stops_on_shut_down() {
    let s = server();
    let bin_dir = tempfile::tempdir().expect("tempdir");
    let pid_file = bin_dir.path().join("pid");
    let script = fake_testkit(bin_dir.path(), &s.kit, &pid_file);
    // The JupyterLab the app found is what the demo server gets (the script checks).
    let jupyter = bin_dir.path().join("jupyter");
    std::fs::copy(&script, &jupyter).expect("a stand-in jupyter");
    let lookup = bai_launcher::demo_jupyter::JupyterLookup {
        explicit: Some(jupyter.clone()),
        ..Default::default()
    };
    let t = app_with(|st| st.with_testkit_bin(&script).with_jupyter_lookup(lookup));
    let w = launcher(&t.app);

    let demo = ok(&w, "start_demo", json!({}));
    assert_eq!(demo["name"], "Demo");
    assert_eq!(demo["endpoint"], s.kit.manager_url());
    assert_eq!(demo["hasSecret"], true);
    let pid = std::fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .to_owned();
    assert!(alive(&pid), "the demo server runs");
    let report = ok(&w, "test_connection", json!({"id": demo["id"]}));
    assert_eq!(report["email"], ADMIN_EMAIL);

    // A second start reuses the running server and the same profile.
    let again = ok(&w, "start_demo", json!({}));
    assert_eq!(again["id"], demo["id"]);
    assert_eq!(
        ok(&w, "list_profiles", json!({}))["profiles"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    t.app.state::<AppState>().shut_down();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(&pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!alive(&pid), "quitting stops the demo server");
}

#[test]
fn a_missing_demo_binary_is_not_part_of_this_installation() {
    let t = app_with(|st| st.with_testkit_bin("/nonexistent/bai-testkit"));
    let e = call(&launcher(&t.app), "start_demo", json!({})).expect_err("missing");
    assert_eq!(e["code"], "demo-unavailable");
    let m = e["message"].as_str().unwrap_or_default();
    // A desktop user has no cargo: the words say what is so, not how to build it.
    assert!(m.contains("not part of this installation"), "{e}");
    assert!(!m.contains("cargo"), "{e}");
}
