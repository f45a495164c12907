//! The real OS keyring, through the real `bai` binary. The ignored tests need a Secret
//! Service: `scripts/with-keyring.sh cargo test -p bai-cli --test keyring -- --ignored`.

mod common;

use std::path::{Path, PathBuf};

use bai_secrets::{KeyringStore, SecretStore};
use bai_testkit::{Config, TestKit};
use common::*;

/// The tests share the launcher's keyring service, so they take turns.
static KEYRING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn kit() -> TestKit {
    TestKit::start(Config::default()).await.expect("testkit")
}

/// Runs blocking `bai` calls off the runtime's thread so the testkit keeps serving.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

fn launcher_entries() -> Vec<String> {
    let out = std::process::Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            bai_secrets::keyring_store::SERVICE,
        ])
        .output()
        .expect("secret-tool runs");
    // secret-tool prints the attributes of each match on stderr and the secrets on stdout.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter(|l| l.contains("attribute.username"))
        .map(str::to_owned)
        .collect()
}

fn add_keypair(bai: &Bai, name: &str, url: &str) -> Run {
    bai.run(
        &[
            "profile",
            "add",
            name,
            "--endpoint",
            url,
            "--access-key",
            AK,
            "--secret-key-stdin",
        ],
        &format!("{SK}\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service"]
async fn profiles_share_the_keyring_across_processes() {
    let _turn = KEYRING.lock().await;
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().to_path_buf();
    let url = kit.manager_url();
    blocking(move || {
        let bai = Bai::new(&cfg);
        add_keypair(&bai, "kit", &url).ok();
        // Another process reads the secret the first one stored.
        let test = Bai::new(&cfg).run(&["profile", "test", "kit"], "").ok();
        assert!(test.out.contains(EMAIL), "{}", test.out);
        let show = bai.run(&["profile", "show", "kit"], "").ok();
        assert!(show.out.contains(bai_secrets::MASK), "{}", show.out);
        bai.run(&["profile", "rename", "kit", "renamed"], "").ok();
        let test = Bai::new(&cfg).run(&["profile", "test", "renamed"], "").ok();
        assert!(test.out.contains("v9.20250722"), "{}", test.out);
        assert!(
            !launcher_entries().is_empty(),
            "secret-tool sees our entries"
        );
        // The only profile is the default one: removing it needs --yes without a terminal.
        bai.run(&["profile", "remove", "renamed", "--yes"], "").ok();
    })
    .await;
    assert_eq!(KeyringStore::new().list().expect("list"), vec![]);
    assert_eq!(
        launcher_entries(),
        Vec::<String>::new(),
        "nothing of ours is left"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(Result::ok)
    {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service"]
async fn no_secret_leaks_into_files_logs_or_output() {
    let _turn = KEYRING.lock().await;
    let kit = kit().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("cfg");
    let (api, web) = (kit.manager_url(), kit.webserver_url());
    let cfg2 = cfg.clone();
    let transcript = blocking(move || {
        let bai = Bai::new(&cfg2);
        fn v<'a>(args: &[&'a str]) -> Vec<&'a str> {
            [&["-vv"][..], args].concat()
        }
        bai.run(
            &v(&[
                "profile",
                "add",
                "api",
                "--endpoint",
                &api,
                "--access-key",
                AK,
                "--secret-key-stdin",
            ]),
            &format!("{SK}\n"),
        )
        .ok();
        let add = bai
            .run(
                &v(&[
                    "profile",
                    "add",
                    "web",
                    "--endpoint",
                    &web,
                    "--email",
                    EMAIL,
                    "--password-stdin",
                    "--remember-password",
                ]),
                &format!("{PASSWORD}\n"),
            )
            .ok();
        assert!(add.out.contains("logged in"), "{}", add.out);
        for args in [
            &["profile", "show", "api"][..],
            &["profile", "show", "web"],
            &["--json", "profile", "show", "api"],
            &["profile", "list"],
            &["profile", "test", "api"],
            &["profile", "test", "web"],
            &["--json", "profile", "test", "web"],
            &["profile", "export"],
            &["--json", "profile", "export"],
            &["profile", "rename", "api", "api2"],
            &["profile", "test", "api2"],
            &["profile", "secrets", "--orphans"],
        ] {
            bai.run(&v(args), "").ok();
        }
        let test = bai.run(&["profile", "test", "web"], "").ok();
        assert!(test.out.contains(EMAIL), "{}", test.out);
        bai.run(&v(&["profile", "remove", "api2", "--yes"]), "")
            .ok();
        bai.run(&v(&["profile", "remove", "web"]), "").ok();
        bai.transcript.borrow().clone()
    })
    .await;
    assert!(
        transcript.contains("TRACE") || transcript.contains("DEBUG"),
        "-vv logs"
    );
    assert!(
        transcript.contains(bai_secrets::MASK),
        "show printed the masked key"
    );
    let files = files_under(&cfg);
    assert!(!files.is_empty());
    for secret in [SK, PASSWORD] {
        assert_eq!(
            transcript.matches(secret).count(),
            0,
            "{secret:?} in the output"
        );
        for f in &files {
            let bytes = std::fs::read(f).expect("read");
            let text = String::from_utf8_lossy(&bytes);
            assert_eq!(
                text.matches(secret).count(),
                0,
                "{secret:?} in {}",
                f.display()
            );
        }
    }
    assert_eq!(KeyringStore::new().list().expect("list"), vec![]);
}

/// No D-Bus at all (`with-keyring.sh --no-dbus`): adding a keypair profile fails with
/// `keyring-unavailable` and a readable message; listing still works.
#[test]
fn without_dbus_add_fails_and_list_works() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/with-keyring.sh");
    let dir = tempfile::tempdir().expect("tempdir");
    let bai = Bai::new(dir.path());
    let in_no_dbus = |args: &[&str], stdin: &str| {
        let inner = bai.command(args);
        let mut c = std::process::Command::new("bash");
        c.arg(&script)
            .arg("--no-dbus")
            .arg(inner.get_program())
            .args(inner.get_args());
        for k in &bai.remove_env {
            c.env_remove(k);
        }
        run_command(c, stdin, &bai.transcript)
    };
    let add = in_no_dbus(
        &[
            "profile",
            "add",
            "work",
            "--endpoint",
            "http://127.0.0.1:9",
            "--offline",
            "--access-key",
            AK,
            "--secret-key-stdin",
        ],
        &format!("{SK}\n"),
    );
    assert_eq!(add.code, Some(1), "{}", add.all());
    assert!(
        add.err.starts_with("error[keyring-unavailable]: the OS keyring is not available: no D-Bus session bus is reachable"),
        "{}",
        add.err
    );
    let web = in_no_dbus(
        &[
            "profile",
            "add",
            "web",
            "--endpoint",
            "http://127.0.0.1:9",
            "--offline",
            "--email",
            EMAIL,
        ],
        "",
    );
    assert_eq!(web.code, Some(0), "{}", web.all());
    let list = in_no_dbus(&["profile", "list"], "");
    assert_eq!(list.code, Some(0), "{}", list.all());
    assert!(list.out.contains("* web"), "{}", list.out);
    assert!(!list.out.contains("work"), "{}", list.out);
}

#[path = "common/official.rs"]
mod official;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service"]
async fn the_official_clients_files_import_and_export_with_secrets_round_trips() {
    let Some(cli) = official::cli() else { return };
    let _turn = KEYRING.lock().await;
    let kit = kit().await;
    let url = kit.manager_url();
    blocking(move || {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("mkdir");
        let off = |args: &[&str]| official::run(&cli, &home, &[], args);
        off(&["v2", "config", "set", "endpoint", &url]);
        off(&["v2", "config", "set", "access-key", AK]);
        off(&["v2", "config", "set", "secret-key", SK]);
        off(&[
            "v2",
            "profile",
            "create",
            "other",
            "--endpoint",
            "http://127.0.0.1:9",
        ]);
        off(&[
            "v2",
            "--profile",
            "other",
            "config",
            "set",
            "access-key",
            "AKOTHER",
        ]);
        off(&[
            "v2",
            "--profile",
            "other",
            "config",
            "set",
            "secret-key",
            "other-secret",
        ]);

        let bai = Bai::new(&dir.path().join("cfg")).env("HOME", &home.display().to_string());
        let run = bai
            .run(&["profile", "import", "--official", "--name", "kit"], "")
            .ok();
        assert!(run.out.contains("Imported \"kit\""), "{}", run.out);
        assert!(
            run.out.contains("still holds it in plain text"),
            "{}",
            run.out
        );
        // No current-profile: the unnamed profile is the official client's current one.
        assert!(
            run.out.contains("\"kit\" is now the default profile"),
            "{}",
            run.out
        );
        // The imported secret key signs requests.
        let test = bai.run(&["profile", "test", "kit"], "").ok();
        assert!(test.out.contains(EMAIL), "{}", test.out);

        let file = dir.path().join("with-secrets.json");
        let path = file.display().to_string();
        let export = bai
            .run(
                &["--json", "profile", "export", "--with-secrets", "-o", &path],
                "",
            )
            .ok();
        assert!(export.err.contains("in plain text"), "{}", export.err);
        let other = Bai::new(&dir.path().join("cfg2"));
        let import = other.run(&["profile", "import", "--file", &path], "").ok();
        assert!(
            import.err.contains("holds secrets in plain text"),
            "{}",
            import.err
        );
        let test = other.run(&["profile", "test", "kit"], "").ok();
        assert!(test.out.contains(EMAIL), "{}", test.out);
        assert_eq!(
            other.run(&["profile", "export"], "").ok().out,
            bai.run(&["profile", "export"], "").ok().out
        );
        for b in [&bai, &other] {
            b.run(&["profile", "remove", "kit", "--yes"], "").ok();
            b.run(&["profile", "remove", "other"], "").ok();
        }
        for out in [&*bai.transcript.borrow(), &*other.transcript.borrow()] {
            assert!(!out.contains(SK) && !out.contains("other-secret"), "{out}");
        }
    })
    .await;
    assert_eq!(KeyringStore::new().list().expect("list"), vec![]);
}
