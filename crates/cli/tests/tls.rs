//! `bai detect` against the testkit serving HTTPS with a private CA made for the test: the
//! CA file makes it work, without it the TLS error says what to set, `--insecure` skips.

mod common;

use bai_testkit::{Config, TestKit};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detect_trusts_the_ca_file_and_explains_an_unknown_issuer() {
    let kit = TestKit::start_https(Config::default())
        .await
        .expect("HTTPS testkit");
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, kit.ca_pem().expect("CA")).expect("write CA");
    let url = kit.manager_url();
    let ca = ca.display().to_string();

    let run = |args: Vec<String>| {
        let bai = Bai::offline(dir.path());
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            bai.run(&args, "")
        })
    };

    let ok = run(vec!["detect".into(), url.clone(), "--ca-cert".into(), ca])
        .await
        .expect("join")
        .ok();
    assert!(ok.out.to_lowercase().contains("api"), "{}", ok.out);

    let bad = run(vec!["detect".into(), url.clone()]).await.expect("join");
    assert_ne!(bad.code, Some(0), "{}", bad.all());
    assert!(bad.err.contains("error[tls-failure]"), "{}", bad.err);
    assert!(bad.err.contains("unknown issuer"), "{}", bad.err);
    assert!(bad.err.contains("--ca-cert FILE"), "{}", bad.err);

    run(vec!["detect".into(), url, "--insecure".into()])
        .await
        .expect("join")
        .ok();
}
