//! `bai demo`: the testkit (a Backend.AI-compatible server with a real JupyterLab behind its
//! apps) in this process, a "Demo" profile pointing at it, and optionally a launch.
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

pub async fn run(
    ctx: &mut Context<'_>,
    mut interrupt: Interrupt,
    args: DemoArgs,
) -> Result<(), CliError> {
    let jupyter = bai_testkit::find_jupyter();
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
    writeln!(ctx.out, "demo Backend.AI manager: {endpoint}")?;
    match &jupyter {
        Some(exe) => writeln!(ctx.out, "JupyterLab: {}", exe.display())?,
        None => writeln!(
            ctx.out,
            "JupyterLab: not found, so notebooks will not open. Get it with `bash scripts/python-env.sh jupyter` (or set {} to a `jupyter` executable)",
            bai_testkit::JUPYTER_ENV
        )?,
    }
    let profile_ok = if args.no_profile {
        false
    } else {
        save_profile(ctx, &endpoint, &keypair)?
    };
    if profile_ok {
        writeln!(ctx.out, "profile {DEMO_PROFILE:?} points at it; try:")?;
        writeln!(ctx.out, "  bai --profile {DEMO_PROFILE} launch")?;
        writeln!(ctx.out, "  bai --profile {DEMO_PROFILE} sessions")?;
    } else {
        writeln!(ctx.out, "use it from another terminal with:")?;
        // This run's own key, shown only on the user's terminal; it dies with the demo.
        writeln!(
            ctx.out,
            "  BACKEND_ENDPOINT={endpoint} BACKEND_ACCESS_KEY={} BACKEND_SECRET_KEY={} bai launch --image python",
            keypair.access_key, keypair.secret_key
        )?;
    }

    let result = if args.launch {
        launch_and_hold(ctx, &mut interrupt, &endpoint, &keypair, &args).await
    } else {
        writeln!(ctx.out, "serving; press Ctrl-C to stop the demo")?;
        ctx.out.flush()?;
        interrupt.next().await;
        Ok(())
    };
    kit.shutdown().await;
    writeln!(ctx.out, "demo stopped")?;
    result
}

async fn launch_and_hold(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    endpoint: &str,
    keypair: &Keypair,
    args: &DemoArgs,
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
    match start(ctx, interrupt, &client, request, &tunnel).await? {
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

/// Add the "Demo" profile, or point the existing one at this run's port and key. Returns
/// false (after saying why) when the secret key cannot be stored.
fn save_profile(
    ctx: &mut Context<'_>,
    endpoint: &str,
    keypair: &Keypair,
) -> Result<bool, CliError> {
    let existing = ctx.load()?.find(DEMO_PROFILE).cloned();
    let profile = match existing {
        Some(mut p) => {
            p.endpoint = Endpoint::parse(endpoint)?.to_string();
            p.kind = EndpointKind::Api;
            p.access_key = Some(keypair.access_key.clone());
            p.email = None;
            ctx.store.replace(p)?
        }
        None => ctx.store.add(
            ProfileDraft {
                name: DEMO_PROFILE.into(),
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
            "warning: the {DEMO_PROFILE:?} profile was saved but its secret key could not be stored ({}): {e}",
            e.code()
        )?;
        return Ok(false);
    }
    Ok(true)
}
