//! Tunnel benchmark (printed, not asserted): direct vs this tunnel vs the official
//! `backend.ai app` proxy, all against the testkit forwarding to a local HTTP server.
//!
//! `cargo bench -p bai-tunnel --bench tunnel_bench`; sizes from env: `BAI_BENCH_MB` (bulk
//! download, default 256), `BAI_BENCH_REQUESTS` (small requests, default 2000),
//! `BAI_BENCH_CONCURRENCY` (default 100), `BAI_BENCH_SDK` (the official CLI's venv, default
//! `$HOME/.cache/bai-launcher/sdk`; `off` skips it).

#[path = "../tests/common/http.rs"]
mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::{Endpoint, EndpointKind};
use bai_testkit::{ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, Config, Schedule, TestKit};
use bai_tunnel::{Tunnel, TunnelConfig};
use futures_util::StreamExt;
use http::{Conn, app_server, authorize};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Clone)]
struct Target {
    label: &'static str,
    addr: SocketAddr,
    cookie: Option<String>,
}

#[derive(Default, Clone)]
struct Figures {
    bulk_mib_s: f64,
    ka_p50: Duration,
    ka_p99: Duration,
    new_ttfb_p50: Duration,
    new_ttfb_p99: Duration,
    new_total_p50: Duration,
    idle_ttfb_p50: Duration,
    idle_ttfb_p99: Duration,
    conc_wall: Duration,
    conc_errors: usize,
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    if v.is_empty() {
        return Duration::ZERO;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

async fn bulk(t: &Target, bytes: u64) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..2 {
        let mut c = Conn::open(t.addr, t.cookie.as_deref())
            .await
            .expect("connect");
        let start = Instant::now();
        c.get(&format!("/blob/{bytes}"), true)
            .await
            .expect("download");
        let mib_s = bytes as f64 / (1024.0 * 1024.0) / start.elapsed().as_secs_f64();
        best = best.max(mib_s);
    }
    best
}

/// The testkit relay alone: a WebSocket client reading the download from binary frames, with
/// no local hop. The ceiling any tunnel through this relay can reach on this machine.
async fn relay_only_bulk(client: &Client, session: &str, bytes: u64) -> f64 {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut best = 0.0f64;
    for _ in 0..2 {
        let mut ws = bai_tunnel::relay::connect(
            client,
            session,
            "jupyter",
            &bai_tunnel::TunnelConfig::default(),
        )
        .await
        .expect("WebSocket");
        let start = Instant::now();
        let req = format!("GET /blob/{bytes} HTTP/1.1\r\nHost: x\r\n\r\n");
        ws.send(Message::binary(req.into_bytes()))
            .await
            .expect("send");
        let mut head = Vec::new();
        let mut body = 0u64;
        while body < bytes {
            match ws.next().await {
                Some(Ok(Message::Binary(b))) => {
                    if head.is_empty() || !head.ends_with(b"\r\n\r\n") {
                        head.extend_from_slice(&b);
                        if let Some(i) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                            body += (head.len() - i - 4) as u64;
                            head.truncate(i + 4);
                        }
                    } else {
                        body += b.len() as u64;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("relay ended early: {other:?}"),
            }
        }
        best = best.max(bytes as f64 / (1024.0 * 1024.0) / start.elapsed().as_secs_f64());
    }
    best
}

async fn kept_alive(t: &Target, n: u64) -> (Duration, Duration) {
    let mut c = Conn::open(t.addr, t.cookie.as_deref())
        .await
        .expect("connect");
    for _ in 0..20 {
        c.get("/small", false).await.expect("warm-up");
    }
    let mut v = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let s = Instant::now();
        let r = c.get("/small", false).await.expect("request");
        v.push(s.elapsed());
        assert_eq!(r.status, 200);
    }
    (pct(&mut v, 0.5), pct(&mut v, 0.99))
}

async fn new_connections(t: &Target, n: u64, gap: Duration) -> (Duration, Duration, Duration) {
    let mut ttfb = Vec::with_capacity(n as usize);
    let mut total = Vec::with_capacity(n as usize);
    for _ in 0..n {
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
        let s = Instant::now();
        let mut c = Conn::open(t.addr, t.cookie.as_deref())
            .await
            .expect("connect");
        c.extra_headers = "Connection: close\r\n".into();
        c.send_get("/small").await.expect("send");
        c.first_byte().await.expect("first byte");
        ttfb.push(s.elapsed());
        let r = c.read_response(false).await.expect("response");
        total.push(s.elapsed());
        assert_eq!(r.status, 200, "{}", r.text());
    }
    (
        pct(&mut ttfb, 0.5),
        pct(&mut ttfb, 0.99),
        pct(&mut total, 0.5),
    )
}

async fn concurrent(t: &Target, conns: u64, per_conn: u64) -> (Duration, usize) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(t.addr, t.cookie.as_deref()).await?;
            for _ in 0..per_conn {
                let r = c.get("/small", false).await?;
                if r.status != 200 {
                    return Err(std::io::Error::other(format!("HTTP {}", r.status)));
                }
            }
            Ok::<(), std::io::Error>(())
        }));
    }
    let mut errors = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            errors += 1;
        }
    }
    (start.elapsed(), errors)
}

async fn measure(t: &Target, mb: u64, requests: u64, conc: u64) -> Figures {
    eprintln!("measuring {} ...", t.label);
    let bulk_mib_s = bulk(t, mb * 1024 * 1024).await;
    let (ka_p50, ka_p99) = kept_alive(t, requests).await;
    let (new_ttfb_p50, new_ttfb_p99, new_total_p50) =
        new_connections(t, requests, Duration::ZERO).await;
    // Browsers open connections after user actions, not back to back: with a pause, work
    // done between connections (spare WebSockets) is off the measured path.
    let (idle_ttfb_p50, idle_ttfb_p99, _) =
        new_connections(t, (requests / 10).max(20), Duration::from_millis(20)).await;
    let (conc_wall, conc_errors) = concurrent(t, conc, 20).await;
    Figures {
        bulk_mib_s,
        ka_p50,
        ka_p99,
        new_ttfb_p50,
        new_ttfb_p99,
        new_total_p50,
        idle_ttfb_p50,
        idle_ttfb_p99,
        conc_wall,
        conc_errors,
    }
}

/// The official `backend.ai app` proxy on a free port, if the SDK venv is there.
async fn official_proxy(
    kit: &TestKit,
    session: &str,
) -> Option<(tokio::process::Child, SocketAddr)> {
    let venv = match std::env::var("BAI_BENCH_SDK") {
        Ok(v) if v == "off" => return None,
        Ok(v) => PathBuf::from(v),
        Err(_) => PathBuf::from(std::env::var("HOME").ok()?).join(".cache/bai-launcher/sdk"),
    };
    let exe = venv.join("bin/backend.ai");
    if !exe.exists() {
        eprintln!(
            "official proxy: {} not found; skipping its column",
            exe.display()
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = tokio::process::Command::new(&exe)
        .args([
            "app",
            session,
            "jupyter",
            "-b",
            &format!("127.0.0.1:{port}"),
        ])
        .env("BACKEND_ENDPOINT", kit.manager_url())
        .env("BACKEND_ENDPOINT_TYPE", "api")
        .env("BACKEND_ACCESS_KEY", ADMIN_ACCESS_KEY)
        .env("BACKEND_SECRET_KEY", ADMIN_SECRET_KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Some((child, addr));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("official proxy did not start listening within 30 s; skipping its column");
    None
}

/// How one table row renders a result.
type Column = Box<dyn Fn(&Figures) -> String>;

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let mb = env_num("BAI_BENCH_MB", 256);
    let requests = env_num("BAI_BENCH_REQUESTS", 2000);
    let conc = env_num("BAI_BENCH_CONCURRENCY", 100);

    let kit = TestKit::start(Config {
        schedule: Schedule::uniform(Duration::from_millis(10)),
        ..Config::default()
    })
    .await
    .expect("testkit");
    let app = app_server().await;
    kit.control().set_app_target("jupyter", app);
    let mut cfg = ClientConfig::new(
        Endpoint::parse(&kit.manager_url()).expect("endpoint"),
        EndpointKind::Api,
    );
    cfg.timeout = Duration::from_secs(30);
    let client = Client::new(
        cfg,
        Credentials::keypair(ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY),
    )
    .expect("client");
    let created = client
        .create_session(&CreateSession::new("bench-session", "python"))
        .await
        .expect("create");
    let mut follow = client.follow_session(&created.session_name, &created.session_id);
    while let Some(u) = follow.next().await {
        if u.expect("update").status.is_running() {
            break;
        }
    }
    let tunnel = Tunnel::start(
        client.clone(),
        &created.session_id,
        "jupyter",
        TunnelConfig::default(),
    )
    .await
    .expect("tunnel");
    let cookie = authorize(tunnel.auth_url().expose()).await;

    let mut targets = vec![
        Target {
            label: "direct",
            addr: app,
            cookie: None,
        },
        Target {
            label: "bai-tunnel",
            addr: tunnel.local_addr(),
            cookie: Some(cookie),
        },
    ];
    let official = official_proxy(&kit, &created.session_name).await;
    if let Some((_, addr)) = &official {
        targets.push(Target {
            label: "backend.ai app",
            addr: *addr,
            cookie: None,
        });
    }

    let relay_only = relay_only_bulk(&client, &created.session_id, mb * 1024 * 1024).await;
    let mut results = Vec::new();
    for t in &targets {
        results.push(measure(t, mb, requests, conc).await);
    }

    println!();
    println!(
        "bai-tunnel benchmark: bulk {mb} MiB, {requests} small requests, {conc} concurrent connections x 20 requests"
    );
    println!(
        "(testkit relay in-process, app = local axum server; {} CPUs)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    print!("{:<34}", "metric");
    for t in &targets {
        print!("{:>18}", t.label);
    }
    println!();
    let rows: Vec<(&str, Column)> = vec![
        (
            "bulk download (MiB/s)",
            Box::new(|f: &Figures| format!("{:.1}", f.bulk_mib_s)),
        ),
        ("kept-alive p50", Box::new(|f: &Figures| ms(f.ka_p50))),
        ("kept-alive p99", Box::new(|f: &Figures| ms(f.ka_p99))),
        (
            "new conn. first byte p50",
            Box::new(|f: &Figures| ms(f.new_ttfb_p50)),
        ),
        (
            "new conn. first byte p99",
            Box::new(|f: &Figures| ms(f.new_ttfb_p99)),
        ),
        (
            "new conn. full response p50",
            Box::new(|f: &Figures| ms(f.new_total_p50)),
        ),
        (
            "new conn. after 20 ms, 1st byte p50",
            Box::new(|f: &Figures| ms(f.idle_ttfb_p50)),
        ),
        (
            "new conn. after 20 ms, 1st byte p99",
            Box::new(|f: &Figures| ms(f.idle_ttfb_p99)),
        ),
        (
            "concurrent wall time",
            Box::new(|f: &Figures| ms(f.conc_wall)),
        ),
        (
            "concurrent failed connections",
            Box::new(|f: &Figures| f.conc_errors.to_string()),
        ),
    ];
    for (name, f) in &rows {
        print!("{name:<34}");
        for r in &results {
            print!("{:>18}", f(r));
        }
        println!();
    }
    let (d, t) = (&results[0], &results[1]);
    println!();
    println!(
        "tunnel/direct bulk ratio: {:.2} (target >= 0.85)",
        t.bulk_mib_s / d.bulk_mib_s
    );
    println!(
        "testkit relay alone (WebSocket client, no local hop): {relay_only:.1} MiB/s; tunnel/relay-alone: {:.2}",
        t.bulk_mib_s / relay_only
    );
    println!(
        "added kept-alive p50: {} (target <= 1 ms)",
        ms(t.ka_p50.saturating_sub(d.ka_p50))
    );
    if let Some(o) = results.get(2) {
        println!(
            "new-connection first byte p50, tunnel/official: {:.2} (target <= 0.33)",
            t.new_ttfb_p50.as_secs_f64() / o.new_ttfb_p50.as_secs_f64()
        );
        println!(
            "new-connection (after 20 ms) first byte p50, tunnel/official: {:.2} (target <= 0.33)",
            t.idle_ttfb_p50.as_secs_f64() / o.idle_ttfb_p50.as_secs_f64()
        );
        println!(
            "official/direct bulk ratio: {:.2}",
            o.bulk_mib_s / d.bulk_mib_s
        );
    }
    let st = tunnel.stats();
    println!(
        "tunnel counters: {} connections, {} MiB down, {} MiB up, {} errors, {} rejected",
        st.connections_total,
        st.bytes_down / (1024 * 1024),
        st.bytes_up / (1024 * 1024),
        st.errors,
        st.rejected
    );
    drop(official);
    tunnel.close();
    kit.shutdown().await;
}
