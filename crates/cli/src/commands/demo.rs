//! `bai demo`: the testkit (a Backend.AI-compatible server with a real JupyterLab behind its
//! apps) in this process, a "Demo" profile pointing at it (or "Demo-2", ... while another demo
//! still answers at "Demo"'s address), the official client's `export BACKEND_*` lines, and
//! optionally a launch. Without a JupyterLab it refuses before starting anything.
//!
//! The demo runs code as the user, so it is as private as a real session: its secret key is
//! drawn fresh for each run (the testkit's defaults are published), its JupyterLab listens on
//! a private Unix socket behind the tcpproxy, and its control API needs a token this command
//! never prints.

use bai_core::client::{Client, ClientConfig, CreateSession, Credentials};
use bai_core::launch::{LaunchRequest, ReusePolicy};
use bai_core::profile::{LaunchPreset, ProfileDraft};
use bai_core::{Endpoint, EndpointKind};
use bai_secrets::{Secret, SecretKind, SecretRef};
use bai_testkit::{Config, JupyterMode, Keypair, TestKit};

use super::profile::Context;
use super::session::{Interrupt, hold_tunnel, launch::LaunchOutcome, launch::start};
use crate::cli::{DemoArgs, TunnelArgs};
use crate::report::CliError;

pub const DEMO_PROFILE: &str = "Demo";
const DEMO_IMAGE: &str = "cr.backend.ai/stable/python:3.9-ubuntu20.04";
/// How many "Demo-N" profiles a run looks through for one it may take over.
const MAX_DEMO_PROFILES: usize = 20;

pub async fn run(
    ctx: &mut Context<'_>,
    mut interrupt: Interrupt,
    args: DemoArgs,
) -> Result<(), CliError> {
    // Checked before anything starts: every session's notebook is this JupyterLab, so without
    // it a launch would only wait for an app that never answers.
    let jupyter = require_jupyter()?;
    let kit = TestKit::start(
        Config {
            jupyter: JupyterMode::Auto,
            manager_port: args.port,
            ..Config::default()
        }
        .with_random_secrets(),
    )
    .await
    .map_err(|e| CliError {
        code: "demo-start",
        message: format!("cannot start the demo server: {e}"),
    })?;
    let endpoint = kit.manager_url();
    let keypair = admin_keypair(&kit)?;
    writeln!(ctx.text(), "demo Backend.AI manager: {endpoint}")?;
    writeln!(ctx.text(), "JupyterLab: {}", jupyter.display())?;
    let profile = if args.no_profile {
        None
    } else {
        save_profile(ctx, &endpoint, &keypair)?
    };
    if let Some(name) = &profile {
        writeln!(ctx.text(), "profile {name:?} points at it; try:")?;
        writeln!(ctx.text(), "  bai --profile {name} launch")?;
        writeln!(ctx.text(), "  bai --profile {name} sessions")?;
    }
    print_environment(ctx, &endpoint, &keypair)?;

    // Under --json, one object on stdout once the demo is ready (with --launch, once the
    // session's app is), everything else on stderr.
    let summary = serde_json::json!({
        "endpoint": endpoint,
        "access_key": keypair.access_key,
        "secret_key": keypair.secret_key,
        "endpoint_type": "api",
        "profile": profile,
        "jupyter": jupyter.display().to_string(),
        "launch": null,
    });
    let result = if args.launch {
        launch_and_hold(ctx, &mut interrupt, &endpoint, &keypair, &args, summary).await
    } else {
        if ctx.json {
            writeln!(ctx.out, "{summary}")?;
        }
        writeln!(ctx.text(), "serving; press Ctrl-C to stop the demo")?;
        ctx.out.flush()?;
        interrupt.next().await;
        Ok(())
    };
    kit.shutdown().await;
    writeln!(ctx.text(), "demo stopped")?;
    result
}

/// The official client's variables for this demo, which `bai` reads too. Printing the secret
/// is fine: it is drawn fresh for this run (`with_random_secrets`), the server dies with this
/// process, and it goes only to the user's own terminal.
fn print_environment(
    ctx: &mut Context<'_>,
    endpoint: &str,
    keypair: &Keypair,
) -> Result<(), CliError> {
    writeln!(
        ctx.text(),
        "for the official Backend.AI CLI (`backend.ai ps`) or `bai` without a profile, in another shell:"
    )?;
    for (k, v) in [
        ("BACKEND_ENDPOINT", endpoint),
        ("BACKEND_ACCESS_KEY", &keypair.access_key),
        ("BACKEND_SECRET_KEY", &keypair.secret_key),
        ("BACKEND_ENDPOINT_TYPE", "api"),
    ] {
        writeln!(ctx.text(), "export {k}={}", shell_word(v))?;
    }
    writeln!(
        ctx.text(),
        "(this secret key was made for this run only; it stops working when the demo stops)"
    )?;
    Ok(())
}

/// `v` as one shell word: as is when it has nothing the shell would expand or split.
fn shell_word(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c));
    if plain {
        v.to_owned()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

/// The `jupyter` the demo will run, or an error that says how to get one.
fn require_jupyter() -> Result<std::path::PathBuf, CliError> {
    if let Some(exe) = bai_testkit::find_jupyter() {
        return Ok(exe);
    }
    let var = bai_testkit::JUPYTER_ENV;
    let venv = bai_testkit::jupyter_venv_dir().map(|d| shell_word(&d.display().to_string()));
    if let Some(set) = std::env::var_os(var).filter(|v| !v.is_empty()) {
        return Err(CliError {
            code: "jupyter-missing",
            message: format!(
                "{var} is set to {}, which is not an executable file. Point it at JupyterLab's `jupyter` command (the demo runs `jupyter lab`), e.g.\n    export {var}=/path/to/venv/bin/jupyter\nor unset it to let bai look in {} and on PATH.",
                std::path::Path::new(&set).display(),
                venv.as_deref().unwrap_or("its venv"),
            ),
        });
    }
    // A venv where bai looks by default works on every distribution, including those that
    // refuse `pip install --user` (PEP 668), and needs no variable afterwards.
    let install = match venv {
        Some(dir) => format!(
            "Install it where bai looks for it (needs python3 with venv; on Debian/Ubuntu `sudo apt install python3-venv`):\n    python3 -m venv {dir} && {dir}/bin/python -m pip install jupyterlab\nor point"
        ),
        None => "Point".to_owned(),
    };
    Err(CliError {
        code: "jupyter-missing",
        message: format!(
            "the demo needs JupyterLab, which runs its sessions' notebooks, and none was found ({var} is unset, no bai venv, no `jupyter` on PATH). {install} bai at an existing JupyterLab's `jupyter` command:\n    export {var}=/path/to/bin/jupyter\n(`pipx install --include-deps jupyterlab` works too: it puts `jupyter` on PATH.)"
        ),
    })
}

async fn launch_and_hold(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    endpoint: &str,
    keypair: &Keypair,
    args: &DemoArgs,
    summary: serde_json::Value,
) -> Result<(), CliError> {
    let client = Client::new(
        ClientConfig::new(Endpoint::parse(endpoint)?, EndpointKind::Api),
        Credentials::keypair(&keypair.access_key, &keypair.secret_key),
    )?;
    let mut spec = CreateSession::new("", DEMO_IMAGE);
    for (k, v) in demo_quick_start().resources {
        spec.resources.insert(k, serde_json::json!(v));
    }
    let request = LaunchRequest::create(spec, ReusePolicy::CreateNew).app("jupyterlab");
    let tunnel = TunnelArgs {
        app: None,
        no_open: args.no_open,
        terminate_on_exit: true,
    };
    match start(ctx, interrupt, &client, request, &tunnel, Some(summary)).await? {
        LaunchOutcome::Ready(ready) => hold_tunnel(ctx, interrupt, &client, &ready, true).await,
        LaunchOutcome::Interrupted(e) => Err(e.into()),
    }
}

fn demo_quick_start() -> LaunchPreset {
    LaunchPreset {
        image: Some(DEMO_IMAGE.into()),
        preset: None,
        resources: [("cpu", "1"), ("mem", "1g")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        app: Some("jupyterlab".into()),
    }
}

/// The demo's admin keypair (the first user's), with this run's random secret key.
fn admin_keypair(kit: &TestKit) -> Result<Keypair, CliError> {
    kit.config()
        .users
        .first()
        .and_then(|u| u.keypairs.first())
        .cloned()
        .ok_or_else(|| CliError {
            code: "demo-start",
            message: "the demo server has no keypair to sign in with".into(),
        })
}

/// Saves this run as a profile and returns its name, or None (after saying why) when the
/// secret key cannot be stored.
///
/// A second demo must not silently take over the first one's profile: "Demo" is re-pointed
/// (with a message naming the old address) only when nothing answers at its address any more,
/// and only if it is a demo's (plain http on a loopback address), never someone's cluster
/// profile that happens to be called "Demo". Otherwise this run gets "Demo-2" (or the next
/// such name that is free or stale).
fn save_profile(
    ctx: &mut Context<'_>,
    endpoint: &str,
    keypair: &Keypair,
) -> Result<Option<String>, CliError> {
    let profiles = ctx.load()?;
    let mut chosen = None;
    for n in 1..=MAX_DEMO_PROFILES {
        let name = if n == 1 {
            DEMO_PROFILE.to_owned()
        } else {
            format!("{DEMO_PROFILE}-{n}")
        };
        match profiles.find(&name) {
            None => {
                chosen = Some((name, None));
                break;
            }
            // The same address (a fixed --port) is this run's own server answering.
            Some(p) if same_endpoint(&p.endpoint, endpoint) || is_stale_demo(&p.endpoint) => {
                chosen = Some((name, Some(p.clone())));
                break;
            }
            Some(p) => writeln!(
                ctx.text(),
                "profile {name:?} is left as it is: {}",
                if is_loopback_http(&p.endpoint) {
                    format!("another demo is answering at {}", p.endpoint)
                } else {
                    format!("it points at {}, not at a demo", p.endpoint)
                }
            )?,
        }
    }
    let Some((name, existing)) = chosen else {
        writeln!(
            ctx.err,
            "warning: no profile was saved: {DEMO_PROFILE:?} to \"{DEMO_PROFILE}-{MAX_DEMO_PROFILES}\" are all in use; remove stale ones with `bai profile remove NAME`"
        )?;
        return Ok(None);
    };
    let profile = match existing {
        Some(mut p) => {
            if !same_endpoint(&p.endpoint, endpoint) {
                writeln!(
                    ctx.text(),
                    "profile {name:?} re-pointed from {} (no longer answering) to this demo",
                    p.endpoint
                )?;
            }
            p.endpoint = Endpoint::parse(endpoint)?.to_string();
            p.kind = EndpointKind::Api;
            p.access_key = Some(keypair.access_key.clone());
            p.email = None;
            ctx.store.replace(p)?
        }
        None => ctx.store.add(
            ProfileDraft {
                name: name.clone(),
                endpoint: endpoint.into(),
                kind: Some(EndpointKind::Api),
                access_key: Some(keypair.access_key.clone()),
                quick_start: demo_quick_start(),
                ..ProfileDraft::default()
            },
            false,
        )?,
    };
    let secret = SecretRef::new(&profile.id, SecretKind::SecretKey);
    if let Err(e) = ctx.secrets.set(&secret, &Secret::new(&keypair.secret_key)) {
        writeln!(
            ctx.err,
            "warning: the {name:?} profile was saved but its secret key could not be stored ({}): {e}",
            e.code()
        )?;
        return Ok(None);
    }
    Ok(Some(name))
}

/// Plain http on a loopback address: what a demo's profile points at.
fn is_loopback_http(endpoint: &str) -> bool {
    Endpoint::parse(endpoint).is_ok_and(|e| {
        let url = e.as_url();
        url.scheme() == "http"
            && match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            }
    })
}

/// A demo profile whose server has gone (nothing accepts a connection at its address), so
/// pointing it elsewhere takes nothing from anyone.
fn is_stale_demo(endpoint: &str) -> bool {
    if !is_loopback_http(endpoint) {
        return false;
    }
    let Ok(Ok(addrs)) = Endpoint::parse(endpoint).map(|e| e.as_url().socket_addrs(|| Some(80)))
    else {
        return false;
    };
    // Loopback answers at once; a short timeout only guards against a filtered port.
    let timeout = std::time::Duration::from_millis(500);
    !addrs
        .iter()
        .any(|a| std::net::TcpStream::connect_timeout(a, timeout).is_ok())
}

fn same_endpoint(a: &str, b: &str) -> bool {
    matches!((Endpoint::parse(a), Endpoint::parse(b)), (Ok(a), Ok(b)) if a == b)
}
