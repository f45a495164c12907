//! `bai-testkit`: run the Backend.AI-compatible test server until SIGINT/SIGTERM.
//!
//! This is also the app's demo server, so it is private like a real session: fresh random
//! secret keys and passwords, a control token, and JupyterLab on a private Unix socket. All of
//! them reach the caller only through the ready line on stdout (a pipe), never argv or logs.

use std::time::Duration;

use bai_testkit::{Config, JupyterMode, Schedule, TestKit};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Jupyter {
    Auto,
    Off,
}

/// A Backend.AI-compatible manager + webserver on 127.0.0.1 for tests and demos.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Manager API port (0 = any free port).
    #[arg(long, default_value_t = 0)]
    manager_port: u16,
    /// Webserver port (0 = any free port).
    #[arg(long, default_value_t = 0)]
    webserver_port: u16,
    /// Start a real JupyterLab behind the jupyter/jupyterlab apps (env BAI_TESTKIT_JUPYTER or PATH).
    #[arg(long, value_enum, default_value = "auto")]
    jupyter: Jupyter,
    /// Milliseconds a session dwells in each status on its way to RUNNING.
    #[arg(long, default_value_t = 200)]
    schedule_ms: u64,
    /// Add a user whose webserver login needs a one-time code (for the app's two-factor form);
    /// its email, password and code go into the ready line as `two_factor`.
    #[arg(long)]
    two_factor_user: bool,
    /// Serve HTTPS on both listeners with a certificate of a private CA made for this run; its
    /// certificate (PEM) goes into the ready line as `ca_pem`.
    #[arg(long)]
    https: bool,
    /// Put the manager this many milliseconds of round trip away: `manager_url` is then a relay
    /// that delays each direction by half of it (`manager_direct_url` skips it).
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

const TWO_FACTOR_EMAIL: &str = "two-factor@lablup.com";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = Config {
        manager_port: args.manager_port,
        webserver_port: args.webserver_port,
        jupyter: match args.jupyter {
            Jupyter::Auto => JupyterMode::Auto,
            Jupyter::Off => JupyterMode::Off,
        },
        schedule: Schedule::uniform(Duration::from_millis(args.schedule_ms)),
        manager_rtt: Duration::from_millis(args.delay_ms),
        ..Config::default()
    }
    .with_random_secrets();
    let mut config = config;
    if args.two_factor_user {
        use rand::Rng;
        let mut rng = rand::rng();
        let text = |rng: &mut rand::rngs::ThreadRng, len: usize| -> String {
            rng.sample_iter(rand::distr::Alphanumeric)
                .take(len)
                .map(char::from)
                .collect()
        };
        let code = format!("{:06}", rng.random_range(0..1_000_000u32));
        let (password, secret) = (text(&mut rng, 20), text(&mut rng, 40));
        config.users.push(
            bai_testkit::User::new(TWO_FACTOR_EMAIL, &password, "user")
                .with_keypair("AKIATWOFACTOR0000000", &secret)
                .with_otp(&code),
        );
    }
    let started = if args.https {
        TestKit::start_https(config).await
    } else {
        TestKit::start(config).await
    };
    let kit = match started {
        Ok(k) => k,
        Err(e) => {
            eprintln!("bai-testkit: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let admin = &kit.config().users[0];
    let kp = &admin.keypairs[0];
    let ready = serde_json::json!({
        "manager_url": kit.manager_url(),
        "manager_direct_url": kit.manager_direct_url(),
        "ca_pem": kit.ca_pem(),
        "webserver_url": kit.webserver_url(),
        "access_key": kp.access_key,
        "secret_key": kp.secret_key,
        "email": admin.email,
        "password": admin.password,
        "control_token": kit.control_token(),
        "jupyter": kit.jupyter_executable().map(|p| p.display().to_string()),
    });
    let mut ready = ready;
    if let Some(u) = kit.config().find_user(TWO_FACTOR_EMAIL) {
        ready["two_factor"] =
            serde_json::json!({"email": u.email, "password": u.password, "otp": u.otp});
    }
    println!("{ready}");
    tracing::info!(
        manager = %kit.manager_url(),
        webserver = %kit.webserver_url(),
        "bai-testkit is serving; Ctrl-C to stop"
    );
    wait_for_signal().await;
    tracing::info!("stopping");
    kit.shutdown().await;
    std::process::ExitCode::SUCCESS
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
