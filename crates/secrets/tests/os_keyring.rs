//! The real OS keyring. These tests need a Secret Service with an unlocked default collection
//! and are ignored by plain `cargo test`; `scripts/with-keyring.sh cargo test -p bai-secrets
//! -- --ignored` runs them inside a private D-Bus session with gnome-keyring.

use bai_secrets::{KeyringStore, Secret, SecretKind, SecretRef, SecretStore};

fn store(test: &str) -> KeyringStore {
    // A service name per test keeps parallel tests and earlier runs apart.
    KeyringStore::with_service(format!(
        "ai.backend.launcher.test.{test}.{}",
        std::process::id()
    ))
}

#[test]
#[ignore = "needs a Secret Service (scripts/with-keyring.sh)"]
fn stores_reads_lists_and_deletes_for_real() {
    let s = store("roundtrip");
    s.probe().expect("keyring available");
    let key = SecretRef::new("profile-1", SecretKind::SecretKey);
    let pw = SecretRef::new("profile-1", SecretKind::Password);
    let other = SecretRef::new("profile-2", SecretKind::SecretKey);
    assert_eq!(s.get(&key).expect("get"), None);

    s.set(
        &key,
        &Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    )
    .expect("set");
    s.set(&pw, &Secret::new("pässwörd ✓")).expect("set unicode");
    s.set(&other, &Secret::new("second")).expect("set");
    s.set(&key, &Secret::new("replaced")).expect("replace");

    // A second store object (as another process would) sees the same entries.
    let again = KeyringStore::with_service(format!(
        "ai.backend.launcher.test.roundtrip.{}",
        std::process::id()
    ));
    assert_eq!(
        again.get(&key).expect("get").expect("present").expose(),
        "replaced"
    );
    assert_eq!(
        again.get(&pw).expect("get").expect("present").expose(),
        "pässwörd ✓"
    );
    assert_eq!(
        again.list().expect("list"),
        vec![key.clone(), pw.clone(), other.clone()]
    );

    again.delete_profile("profile-1").expect("delete profile");
    assert_eq!(s.get(&key).expect("get"), None);
    assert_eq!(s.list().expect("list"), vec![other.clone()]);
    s.delete(&other).expect("delete");
    s.delete(&other).expect("deleting twice is fine");
    assert!(s.list().expect("list").is_empty(), "keyring empty again");
}

#[test]
#[ignore = "needs a Secret Service (scripts/with-keyring.sh)"]
fn a_secret_deleted_behind_our_back_is_not_listed() {
    let s = store("stale-index");
    let at = SecretRef::new("p", SecretKind::LoginSession);
    s.set(&at, &Secret::new("session-id")).expect("set");
    // Remove the entry directly, as a keyring manager app would, leaving our index stale.
    let svc = format!(
        "ai.backend.launcher.test.stale-index.{}",
        std::process::id()
    );
    keyring_delete(&svc, "p/login-session");
    assert!(s.list().expect("list").is_empty());
    s.delete(&at).expect("cleans the index");
}

fn keyring_delete(service: &str, user: &str) {
    let status = std::process::Command::new("secret-tool")
        .args(["clear", "service", service, "username", user])
        .status()
        .expect("secret-tool runs (package libsecret-tools)");
    assert!(status.success());
}

/// Run with no usable Secret Service (the script sets BAI_EXPECT_NO_KEYRING=1 and points
/// D-Bus at nothing, or at a bus without a secrets provider).
#[test]
#[ignore = "run by scripts/with-keyring.sh --none"]
fn without_a_secret_service_the_error_says_what_to_start() {
    if std::env::var_os("BAI_EXPECT_NO_KEYRING").is_none() {
        eprintln!("skipped: set BAI_EXPECT_NO_KEYRING=1 in an environment with no Secret Service");
        return;
    }
    let s = store("none");
    let e = s.probe().expect_err("no keyring");
    assert_eq!(e.code(), "keyring-unavailable");
    let msg = e.to_string();
    assert!(
        msg.contains("D-Bus") || msg.contains("Secret Service"),
        "{msg}"
    );
    let e = s
        .set(
            &SecretRef::new("p", SecretKind::Password),
            &Secret::new("x"),
        )
        .expect_err("no keyring");
    assert_eq!(e.code(), "keyring-unavailable");
}
