//! The REAL manager's idle checkers as the launcher reads them, and a session kept alive by
//! traffic through the launcher's tunnel outliving one that is not.
//!
//! The harness (tests/real-manager/setup.sh, lib/common.sh) enables `network_timeout` in etcd
//! (`config/idle/enabled`, `config/idle/checkers/network_timeout/threshold` =
//! `BAI_REALMGR_IDLE_THRESHOLD`, 45 s) and gives `idle@lablup.com` the keypair resource policy
//! `idle-short` (fixtures/80-idle-user.json): `idle_timeout = -1`, so the etcd threshold
//! applies, and `max_session_lifetime = 600`, which the always-on `session_lifetime` checker
//! counts down. Every other keypair has the `default` policy, whose `idle_timeout = 3600`
//! overrides the threshold, so the rest of the suite is never reclaimed.
//!
//! What 26.9.6 does (manager/idle.py, services/stream/service.py), seen here:
//! - `network_timeout` counts from the last time the session's last app-proxy connection
//!   (`/stream/session/{id}/tcpproxy|httpproxy`) closed. Before the first one it reports
//!   `null` and never reclaims the session (the start hook that would set the mark is never
//!   fired by 26.9.6's scheduler); while a connection is open it reports nothing new.
//! - The report is refreshed every 15 s (the check interval); a reclaimed session ends
//!   TERMINATED with status_info `idle-timeout`.
//! - Any open app-proxy connection counts as activity until it closes, even a silent one:
//!   the stale-connection GC meant to drop connections quiet for
//!   `config/idle/app-streaming-packet-timeout` fails on every pass in 26.9.6 (the manager
//!   logs `stream_conn_tracker_gc(): error during GC, retrying...`). The launcher's tunnel
//!   holds spare WebSockets while in use (closed 60 s after its last new local connection),
//!   so a session with a tunnel in use reports no network_timeout at all.
//!
//! Helpers (`launch_ready`, `Live`, `Cleanup`, …) are the suite's own, from `real_manager.rs`.

use bai_core::client::StatusFilter;
use bai_core::idle::Checker;

use super::*;

/// idle@lablup.com's keypair (policy `idle-short`).
fn idle_client() -> Client {
    let cfg = ClientConfig::new(
        Endpoint::parse(&var("BACKEND_ENDPOINT")).expect("endpoint"),
        EndpointKind::Api,
    );
    Client::new(
        cfg,
        Credentials::keypair(
            var("BAI_REALMGR_IDLE_ACCESS_KEY"),
            var("BAI_REALMGR_IDLE_SECRET_KEY"),
        ),
    )
    .expect("client")
}

/// `bai` in environment mode as idle@lablup.com.
fn idle_bai(dir: &std::path::Path) -> Bai {
    Bai::offline(dir)
        .env("BACKEND_ENDPOINT", &var("BACKEND_ENDPOINT"))
        .env("BACKEND_ACCESS_KEY", &var("BAI_REALMGR_IDLE_ACCESS_KEY"))
        .env("BACKEND_SECRET_KEY", &var("BAI_REALMGR_IDLE_SECRET_KEY"))
}

/// The network-timeout threshold the harness put in etcd ("45s", "2m").
fn threshold_secs() -> f64 {
    let t = var("BAI_REALMGR_IDLE_THRESHOLD");
    let (n, unit) = t.split_at(t.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: f64 = n.parse().unwrap_or_else(|_| panic!("threshold {t}"));
    match unit {
        "" | "s" => n,
        "m" => n * 60.0,
        other => panic!("threshold unit {other} in {t}"),
    }
}

fn lifetime_secs() -> f64 {
    var("BAI_REALMGR_IDLE_LIFETIME")
        .parse()
        .expect("BAI_REALMGR_IDLE_LIFETIME")
}

/// One list of the idle user's active sessions: per name, (network_timeout, session_lifetime)
/// seconds as the launcher's core client reads them.
type Seen = std::collections::BTreeMap<String, (Option<f64>, Option<f64>)>;

async fn idle_reports() -> Seen {
    let list = idle_client()
        .my_sessions(StatusFilter::Active)
        .await
        .expect("the idle user's sessions");
    list.items
        .iter()
        .map(|s| {
            let get = |c: &Checker| s.idle_checks.get(c).and_then(|c| c.remaining_secs);
            (
                s.name.clone(),
                (
                    get(&Checker::NetworkTimeout),
                    get(&Checker::SessionLifetime),
                ),
            )
        })
        .collect()
}

/// A client of the tunnel behind `url` (its auth URL) that opens a new connection for every
/// request, so each request is one app-proxy connection opened and closed at the manager.
async fn tunnel_client(url: &str) -> (reqwest::Client, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let r = http.get(url).send().await.expect("auth URL");
    assert!(r.status().is_success(), "{}", r.status());
    let base = url::Url::parse(url).expect("url");
    let origin = format!(
        "http://{}:{}",
        base.host_str().expect("host"),
        base.port().expect("port")
    );
    (http, origin)
}

async fn touch(http: &reqwest::Client, origin: &str) {
    let r = http
        .get(format!("{origin}/api"))
        .send()
        .await
        .expect("GET /api through the tunnel");
    assert!(r.status().is_success(), "{}", r.status());
    let _ = r.bytes().await;
}

/// Two sessions of idle@lablup.com, both launched with `bai launch` (its readiness probe is
/// their first app traffic). One keeps its tunnel and gets a request through it every 10 s;
/// the other's tunnel is closed. The launcher reads the real remaining times (core client and
/// `bai sessions --json`, the same numbers as the raw GraphQL), the dropped one's
/// network_timeout counts down to its end by the checker (TERMINATED, `idle-timeout`), and the
/// kept one is still RUNNING. Then the kept one's tunnel closes too, it counts down, and `bai
/// open` (a tunnel opened and closed) puts its countdown back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real manager: tests/real-manager/run-suite.sh"]
async fn tunnel_traffic_keeps_a_session_the_network_timeout_reclaims_otherwise() {
    let threshold = threshold_secs();
    let lifetime = lifetime_secs();
    assert!(
        (20.0..=90.0).contains(&threshold),
        "this test waits out the threshold; the harness sets 45s, not {threshold}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = unique("rm-idle-keep");
    let gone = unique("rm-idle-drop");
    let _c1 = Cleanup(keep.clone(), idle_client);
    let _c2 = Cleanup(gone.clone(), idle_client);
    let (kb, db) = (idle_bai(dir.path()), idle_bai(dir.path()));
    let ((keep_live, keep_url), (gone_live, _)) =
        tokio::join!(launch_ready(&kb, &keep), launch_ready(&db, &gone));

    // One connection per request through the kept session's tunnel, from now on every 10 s.
    let (http, origin) = tunnel_client(&keep_url).await;
    touch(&http, &origin).await;

    // The dropped session's tunnel closes (the session keeps running): its last app
    // connection closing starts the network timeout.
    gone_live.interrupt();
    let (code, out, err) = gone_live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    assert!(
        out.contains(&format!("session {gone} keeps running")),
        "{out}"
    );
    let closed = Instant::now();
    let gone_id = session_id_as(&gone, idle_client).await;
    let keep_id = session_id_as(&keep, idle_client).await;

    let mut gone_seen: Vec<(f64, f64)> = Vec::new(); // (seconds since close, remaining)
    let mut keep_seen: Vec<Option<f64>> = Vec::new();
    let mut lifetime_seen: Vec<f64> = Vec::new();
    let mut cli_checked = false;
    let mut last_touch = Instant::now();
    let deadline = closed + Duration::from_secs_f64(threshold + 60.0);
    let ended_after = loop {
        if last_touch.elapsed() >= Duration::from_secs(10) {
            touch(&http, &origin).await;
            last_touch = Instant::now();
        }
        let seen = idle_reports().await;
        let at = closed.elapsed().as_secs_f64();
        if let Some((nt, lt)) = seen.get(&gone) {
            if let Some(nt) = nt
                && gone_seen.last().map(|l| l.1) != Some(*nt)
            {
                eprintln!("{at:5.1}s after close: {gone} network_timeout {nt:.1}s left");
                gone_seen.push((at, *nt));
            }
            lifetime_seen.extend(*lt);
        } else {
            // Gone from the active list: ended.
            break at;
        }
        let k = seen.get(&keep).map(|v| v.0).unwrap_or_else(|| {
            panic!("{keep} left the active list while its tunnel had traffic: {seen:?}")
        });
        keep_seen.push(k);
        // What `bai sessions --json` shows, once the dropped session's countdown is reported.
        if !cli_checked && !gone_seen.is_empty() {
            cli_checked = true;
            let r = run(idle_bai(dir.path()), &["--json", "sessions"])
                .await
                .ok();
            let v: serde_json::Value = serde_json::from_str(&r.out).expect("json");
            let item = v["items"]
                .as_array()
                .expect("items")
                .iter()
                .find(|i| i["name"] == gone.as_str())
                .cloned()
                .unwrap_or_else(|| panic!("{gone} not in {v}"));
            eprintln!("bai sessions --json idle_checks: {}", item["idle_checks"]);
            let remaining = |checker: &str| {
                item["idle_checks"]
                    .as_array()
                    .expect("idle_checks is a list")
                    .iter()
                    .find(|c| c["checker"] == checker)
                    .and_then(|c| c["remaining_secs"].as_f64())
                    .unwrap_or_else(|| panic!("no {checker} in {item}"))
            };
            let nt = remaining("network_timeout");
            assert!(nt > 0.0 && nt <= threshold, "{item}");
            // The very number the manager reports (it changes only at its next check).
            let raw = raw_network_timeout(&gone).await;
            assert!(
                (raw - nt).abs() < 0.001 || (10.0..=20.0).contains(&(nt - raw)),
                "bai shows {nt}, the manager's idle_checks says {raw}"
            );
            let lt = remaining("session_lifetime");
            assert!(lt > 0.0 && lt <= lifetime, "{item}");
        }
        assert!(
            Instant::now() < deadline,
            "{gone} still active {threshold} s + 60 s after its tunnel closed; seen {gone_seen:?} \
             (is network_timeout enabled? setup.sh puts it in etcd; the manager reads it at start)"
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
    };
    eprintln!("{gone} left the active list {ended_after:.1}s after its tunnel closed");
    eprintln!("{keep} network_timeout while kept: {keep_seen:?}");

    // The real remaining time: within the threshold, counting down.
    assert!(cli_checked, "no network_timeout reported for {gone}");
    assert!(
        gone_seen.iter().all(|(_, r)| *r <= threshold),
        "{gone_seen:?}"
    );
    assert!(
        gone_seen.windows(2).all(|w| w[1].1 <= w[0].1),
        "network_timeout did not count down: {gone_seen:?}"
    );
    assert!(
        gone_seen.len() >= 2 && gone_seen.last().expect("seen").1 < gone_seen[0].1,
        "{gone_seen:?}"
    );
    assert!(
        lifetime_seen.iter().all(|l| *l > 0.0 && *l <= lifetime),
        "{lifetime_seen:?}"
    );
    // Ended by the checker: not before the threshold, with the checker's reason.
    assert!(
        ended_after >= threshold - 5.0,
        "ended after {ended_after} s, before the {threshold} s threshold"
    );
    wait_status_as(
        &gone_id,
        &SessionStatus::Terminated,
        Duration::from_secs(30),
        idle_client,
    )
    .await;
    let rec = idle_client()
        .session_status_record(&gone_id)
        .await
        .expect("status");
    assert_eq!(rec.status_info.as_deref(), Some("idle-timeout"), "{rec:?}");

    // The kept one: still running, its countdown put back by the traffic every time.
    let rec = idle_client()
        .session_status_record(&keep_id)
        .await
        .expect("status");
    assert_eq!(rec.status, SessionStatus::Running, "{rec:?}");
    let reported: Vec<f64> = keep_seen.iter().flatten().copied().collect();
    assert!(
        reported.iter().all(|r| *r >= threshold - 25.0),
        "the kept session's network_timeout ran down: {keep_seen:?}"
    );

    // Its tunnel closes too: now it counts down, until a tunnel opened and closed again
    // (`bai open`, as the launcher's "Keep alive" does without an open tunnel) puts it back.
    keep_live.interrupt();
    let (code, out, err) = keep_live.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    let r1 = next_report(&keep, f64::INFINITY).await;
    let r2 = next_report(&keep, r1).await;
    eprintln!("{keep} after its tunnel closed: {r1:.1}s, then {r2:.1}s left");
    let open = Live::spawn(&idle_bai(dir.path()), &["open", &keep, "--no-open"]);
    open.wait_line(
        |l| l.starts_with("http://127.") && l.contains("/__launcher/auth?token="),
        Duration::from_secs(60),
    )
    .await;
    open.interrupt();
    let (code, out, err) = open.finish().await;
    assert_eq!(code, Some(130), "{out}\n{err}");
    let deadline = Instant::now() + Duration::from_secs(25);
    let r3 = loop {
        let r = idle_reports().await.get(&keep).and_then(|v| v.0);
        if let Some(r) = r.filter(|r| *r > r2) {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "{keep}'s network_timeout was not put back by `bai open` ({r2} s left before, now {r:?})"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    eprintln!("{keep} after `bai open` opened and closed a tunnel: {r3:.1}s left");
    assert!(r3 <= threshold, "{r3}");
    let t = run(idle_bai(dir.path()), &["terminate", &keep]).await.ok();
    assert!(
        t.out.contains(&format!("session {keep}: TERMINATED")),
        "{}",
        t.out
    );
}

/// The next network_timeout report of the idle user's active session `name` below `below`
/// (the manager refreshes it every 15 s).
async fn next_report(name: &str, below: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        let r = idle_reports().await.get(name).and_then(|v| v.0);
        if let Some(r) = r.filter(|r| *r < below && *r > 0.0) {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "no network_timeout report of {name} under {below} within 25 s (last: {r:?})"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `idle_checks.network_timeout.remaining` of the idle user's session `name`, from the raw
/// GraphQL answer (a JSON string), without the launcher's parsing.
async fn raw_network_timeout(name: &str) -> f64 {
    let list: serde_json::Value = idle_client()
        .graphql(
            "query { compute_session_list(limit: 50, offset: 0) { items { name idle_checks } } }",
            serde_json::json!({}),
            "compute_session_list",
        )
        .await
        .expect("raw GraphQL");
    let item = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"));
    let checks: serde_json::Value = match &item["idle_checks"] {
        serde_json::Value::String(s) => serde_json::from_str(s).expect("idle_checks JSON"),
        other => other.clone(),
    };
    checks["network_timeout"]["remaining"]
        .as_f64()
        .unwrap_or_else(|| panic!("no network_timeout.remaining in {checks}"))
}

async fn session_id_as(name: &str, owner: fn() -> Client) -> String {
    let page = owner().my_sessions(StatusFilter::All).await.expect("list");
    page.items
        .into_iter()
        .find(|s| s.name == name)
        .map(|s| s.id)
        .unwrap_or_else(|| panic!("session {name} not listed"))
}

async fn wait_status_as(id: &str, want: &SessionStatus, within: Duration, owner: fn() -> Client) {
    let deadline = Instant::now() + within;
    loop {
        let r = owner().session_status_record(id).await.expect("status");
        if &r.status == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still {} (want {want})",
            r.status
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
