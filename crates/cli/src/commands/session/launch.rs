//! `bai launch` and `bai open`: run a launch with progress lines, print the private URL, open
//! the browser, and keep the tunnel until Ctrl-C.

use std::sync::Arc;

use bai_core::client::Client;
use bai_core::launch::{
    LaunchHandle, LaunchPhase, LaunchProgress, LaunchRequest, Launcher, Ready, ReusePolicy,
};
use bai_tunnel::WsTunnelOpener;

use super::spec::{LaunchDefaults, build_spec};
use super::{Account, Interrupt};
use crate::cli::{LaunchArgs, TunnelArgs};
use crate::commands::profile::Context;
use crate::report::CliError;

pub async fn launch(
    ctx: &mut Context<'_>,
    interrupt: Interrupt,
    acct: &Account,
    args: LaunchArgs,
) -> Result<(), CliError> {
    let defaults = LaunchDefaults::of(acct, &args);
    let spec = build_spec(&acct.client, &args, &defaults).await?;
    let reuse = if args.reuse {
        ReusePolicy::ReuseIfExists
    } else {
        ReusePolicy::CreateNew
    };
    let mut request = LaunchRequest::create(spec, reuse);
    request.app = args
        .tunnel
        .app
        .clone()
        .or_else(|| defaults.quick_start.app.clone());
    launch_with(ctx, interrupt, &acct.client, request, &args.tunnel).await
}

pub async fn open(
    ctx: &mut Context<'_>,
    interrupt: Interrupt,
    acct: &Account,
    session: &str,
    tunnel: TunnelArgs,
) -> Result<(), CliError> {
    let mut request = LaunchRequest::existing(session);
    request.app = tunnel.app.clone().or_else(|| {
        acct.profile
            .as_ref()
            .and_then(|p| p.quick_start.app.clone())
    });
    launch_with(ctx, interrupt, &acct.client, request, &tunnel).await
}

/// How a launch run from the command line ended.
#[derive(Debug)]
pub enum LaunchOutcome {
    Ready(Ready),
    /// Ctrl-C during the launch (already reported).
    Interrupted(bai_core::Error),
}

/// Launch, then hold the tunnel until Ctrl-C.
pub async fn launch_with(
    ctx: &mut Context<'_>,
    mut interrupt: Interrupt,
    client: &Client,
    request: LaunchRequest,
    tunnel: &TunnelArgs,
) -> Result<(), CliError> {
    let ready = match start(ctx, &mut interrupt, client, request, tunnel).await? {
        LaunchOutcome::Ready(r) => r,
        LaunchOutcome::Interrupted(e) => return Err(e.into()),
    };
    hold_tunnel(
        ctx,
        &mut interrupt,
        client,
        &ready,
        tunnel.terminate_on_exit,
    )
    .await
}

/// Run a launch to ready, printing progress; Ctrl-C cancels it.
pub async fn start(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    client: &Client,
    request: LaunchRequest,
    tunnel: &TunnelArgs,
) -> Result<LaunchOutcome, CliError> {
    let launcher = Launcher::new(client.clone(), Arc::new(WsTunnelOpener::default()));
    let handle = launcher.launch(request);
    let (result, interrupted) = follow(ctx, interrupt, handle).await?;
    let ready = match result {
        Ok(r) => r,
        Err(e) if interrupted => {
            writeln!(ctx.out, "{e}")?;
            return Ok(LaunchOutcome::Interrupted(e));
        }
        Err(e) => return Err(e.into()),
    };
    let url = ready.auth_url();
    let how = if ready.created {
        "created by this launch"
    } else {
        "already existed"
    };
    writeln!(
        ctx.out,
        "ready: {} of session {} ({how})",
        ready.app, ready.session_name
    )?;
    writeln!(
        ctx.out,
        "open this private URL (it works once, within a minute; do not share it):"
    )?;
    // stdout only: it is a way in, so it never goes to the log.
    writeln!(ctx.out, "{}", url.expose())?;
    // The browser gets its own single-use URL, through a file only this user can read: a
    // browser's command line is visible to every local user.
    if !tunnel.no_open
        && let Err(e) = crate::browser::open_private(&ready.auth_url())
    {
        writeln!(
            ctx.err,
            "warning: cannot open the browser ({e}); open the URL above by hand"
        )?;
    }
    Ok(LaunchOutcome::Ready(ready))
}

/// Print progress lines until the launch ends; the first Ctrl-C cancels it.
async fn follow(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    handle: LaunchHandle,
) -> Result<(Result<Ready, bai_core::Error>, bool), CliError> {
    let mut progress = handle.progress();
    let canceller = handle.canceller();
    let result = handle.result();
    tokio::pin!(result);
    let mut printer = ProgressPrinter::default();
    let mut interrupted = false;
    let mut progress_open = true;
    let outcome = loop {
        tokio::select! {
            r = &mut result => break r,
            changed = progress.changed(), if progress_open => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                let p = progress.borrow_and_update().clone();
                printer.print(ctx, &p)?;
            }
            _ = interrupt.next(), if !interrupted => {
                interrupted = true;
                writeln!(ctx.out, "interrupted: cancelling the launch")?;
                canceller.cancel();
            }
        }
    };
    // The last state may not have been seen yet (the watch keeps only the latest): a session
    // that reached RUNNING in the same instant as the launch's end still gets its line. The
    // printer repeats nothing and has no line for the ready phase itself.
    let last = progress.borrow().clone();
    printer.print(ctx, &last)?;
    Ok((outcome, interrupted))
}

/// Prints a line when the session's status or the launch's step changes.
#[derive(Default)]
struct ProgressPrinter {
    status: Option<String>,
    phase: Option<LaunchPhase>,
}

impl ProgressPrinter {
    fn print(&mut self, ctx: &mut Context<'_>, p: &LaunchProgress) -> Result<(), CliError> {
        let at = format!("[{:>5.1}s]", p.elapsed.as_secs_f64());
        if let Some(status) = &p.status {
            let text = super::list::status_text(status, p.status_info.as_deref());
            if self.status.as_deref() != Some(text.as_str()) {
                let name = p.session_name.as_deref().unwrap_or("session");
                writeln!(ctx.out, "{at} {text}  {name}")?;
                self.status = Some(text);
            }
        }
        if self.phase != Some(p.phase) {
            self.phase = Some(p.phase);
            let line = match p.phase {
                LaunchPhase::Creating => Some(format!(
                    "{} {}",
                    p.message,
                    p.session_name.as_deref().unwrap_or_default()
                )),
                LaunchPhase::OpeningTunnel => Some(format!(
                    "opening the tunnel to {}",
                    p.app.as_deref().unwrap_or("the app")
                )),
                LaunchPhase::Probing => Some(format!(
                    "waiting for {} to answer",
                    p.app.as_deref().unwrap_or("the app")
                )),
                LaunchPhase::Cancelling => Some("cancelling".to_owned()),
                _ => None,
            };
            if let Some(line) = line {
                writeln!(ctx.out, "{at} {}", line.trim_end())?;
            }
        }
        Ok(())
    }
}

/// Keep the tunnel until Ctrl-C, then close it and (if asked) terminate the session.
pub async fn hold_tunnel(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    client: &Client,
    ready: &Ready,
    terminate_on_exit: bool,
) -> Result<(), CliError> {
    writeln!(
        ctx.out,
        "tunnel on {}; press Ctrl-C to close it{}",
        ready.tunnel.local_addr(),
        if terminate_on_exit {
            " and terminate the session"
        } else {
            " (the session keeps running)"
        }
    )?;
    ctx.out.flush()?;
    interrupt.next().await;
    ready.tunnel.close();
    let name = &ready.session_name;
    if terminate_on_exit {
        writeln!(ctx.out, "closing the tunnel and terminating session {name}")?;
        client.destroy_session(&ready.session_id, false).await?;
        writeln!(ctx.out, "session {name} terminated")?;
    } else {
        writeln!(
            ctx.out,
            "tunnel closed; session {name} keeps running (`bai open {name}` to come back, `bai terminate {name}` to end it)"
        )?;
    }
    Ok(())
}
