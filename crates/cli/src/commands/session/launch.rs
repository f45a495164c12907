//! `bai launch` and `bai open`: run a launch with progress lines (stderr), print the private
//! URL (stdout), open the browser, and keep the tunnel until an interrupt or the session's end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bai_core::client::{Client, SessionStatus};
use bai_core::launch::{
    HistorySink, LaunchHandle, LaunchHistory, LaunchPhase, LaunchProgress, LaunchRequest, Launcher,
    Ready, ReusePolicy, SessionTarget,
};
use bai_core::presets::{Limit, shortfalls};
use bai_tunnel::WsTunnelOpener;
use tokio::time::Instant;

use super::spec::{LaunchDefaults, build_spec};
use super::waiting::{Waiting, human};
use super::{Account, Interrupt, watch};
use crate::cli::{LaunchArgs, TunnelArgs};
use crate::commands::profile::Context;
use crate::report::CliError;

pub async fn launch(
    ctx: &mut Context<'_>,
    interrupt: Interrupt,
    acct: &Account,
    args: LaunchArgs,
) -> Result<(), CliError> {
    if let Some(session) = &args.again {
        return again(ctx, interrupt, acct, session, &args).await;
    }
    let defaults = LaunchDefaults::of(acct, &args);
    let spec = build_spec(&acct.client, &args, &defaults).await?;
    let reuse = if args.reuse {
        ReusePolicy::ReuseIfExists
    } else {
        ReusePolicy::CreateNew
    };
    let mut request = LaunchRequest::create(spec, reuse).recorded_in(history_sink(ctx, acct));
    request.app = args
        .tunnel
        .app
        .clone()
        .or_else(|| defaults.quick_start.app.clone());
    launch_with(ctx, interrupt, &acct.client, request, &args.tunnel).await
}

/// Where this account's launches are recorded: the history beside the profiles.
fn history_sink(ctx: &Context<'_>, acct: &Account) -> HistorySink {
    HistorySink::new(
        LaunchHistory::new(ctx.store.dir()),
        acct.history_owner.clone(),
    )
}

/// `bai launch --again SESSION`: the recorded create request sent again as it was (the same
/// name, unless `--name` gives another), and the same app unless `--app` says otherwise.
async fn again(
    ctx: &mut Context<'_>,
    interrupt: Interrupt,
    acct: &Account,
    session: &str,
    args: &LaunchArgs,
) -> Result<(), CliError> {
    let history = LaunchHistory::new(ctx.store.dir());
    let owner = acct.history_owner.clone();
    let wanted = session.to_owned();
    let record = bai_core::offload::blocking(move || history.find(&owner, &wanted))
        .await
        .map_err(|e| match e.code() {
            "not-in-history" => CliError {
                code: "not-in-history",
                message: format!(
                    "no launch of {session:?} is in the launch history of {}: `bai history list` shows what can be launched again",
                    acct.label
                ),
            },
            _ => e.into(),
        })?;
    let mut request = record.launch_request().recorded_in(history_sink(ctx, acct));
    let mut name = record.session_name.clone();
    if let Some(new) = args
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        bai_core::client::validate_session_name(new)?;
        if let SessionTarget::Create { spec, .. } = &mut request.target {
            spec.name = new.to_owned();
        }
        name = new.to_owned();
    }
    if let Some(app) = &args.tunnel.app {
        request.app = Some(app.clone());
    }
    note(
        ctx,
        format_args!(
            "launching {name} again as {} was launched at {}",
            record.session_name, record.launched_at
        ),
    );
    launch_with(ctx, interrupt, &acct.client, request, &args.tunnel)
        .await
        .map_err(|e| match e.code {
            "session-name-taken" => CliError {
                code: "session-name-taken",
                message: format!(
                    "session {name:?} has not ended, so its name is still taken: `bai open {name}` to use it, `bai terminate {name}` to end it first, or `bai launch --again {} --name NEW_NAME` to launch a copy under another name",
                    record.session_name
                ),
            },
            _ => e,
        })
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
    /// An interrupt cancelled the launch: the error says how it ended, for the caller to
    /// report (once).
    Interrupted(bai_core::Error),
}

/// Launch, then hold the tunnel until an interrupt or the session's end.
pub async fn launch_with(
    ctx: &mut Context<'_>,
    mut interrupt: Interrupt,
    client: &Client,
    request: LaunchRequest,
    tunnel: &TunnelArgs,
) -> Result<(), CliError> {
    let ready = match start(ctx, &mut interrupt, client, request, tunnel, None).await? {
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

/// Run a launch to ready, printing progress; Ctrl-C (or SIGTERM, SIGHUP) cancels it.
///
/// Only the private URL goes to stdout, so `URL=$(bai launch --no-open …)` gets just that;
/// progress and everything said about it go to stderr.
pub async fn start(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    client: &Client,
    request: LaunchRequest,
    tunnel: &TunnelArgs,
    // Under --json, an object to print the launch's result in (as its `launch` field) instead
    // of on its own: `bai demo --launch` prints one object.
    wrap: Option<serde_json::Value>,
) -> Result<LaunchOutcome, CliError> {
    let launcher = Launcher::new(client.clone(), Arc::new(WsTunnelOpener::default()));
    let printer = ProgressPrinter::new(&request);
    let fit = FitCheck::of(client, &request);
    let handle = launcher.launch(request);
    let (result, interrupted) = follow(ctx, interrupt, handle, printer, fit).await?;
    let ready = match result {
        Ok(r) => r,
        // Said once, by the caller's error report (with the session's name).
        Err(e) if interrupted => return Ok(LaunchOutcome::Interrupted(e)),
        Err(e) => return Err(e.into()),
    };
    let url = ready.auth_url();
    let how = if ready.created {
        "created by this launch"
    } else {
        "already existed"
    };
    note(
        ctx,
        format_args!(
            "ready: {} of session {} ({how})\nopen this private URL (it works once, within a minute; do not share it):",
            ready.app, ready.session_name
        ),
    );
    // stdout only: it is the command's result, and a way in, so it never goes to the log.
    // Under --json the result is one object (on one line, so a reader can take the first line
    // while the command keeps serving).
    let result = if ctx.json {
        let launched = serde_json::json!({
            "session_id": ready.session_id,
            "session_name": ready.session_name,
            "app": ready.app,
            "created": ready.created,
            "url": url.expose(),
        });
        match wrap {
            Some(mut outer) => {
                outer["launch"] = launched;
                outer.to_string()
            }
            None => launched.to_string(),
        }
    } else {
        url.expose().to_string()
    };
    if let Err(e) = writeln!(ctx.out, "{result}").and_then(|()| ctx.out.flush()) {
        // No one can use a tunnel whose URL went nowhere: end as an interrupt would.
        ready.tunnel.close();
        if tunnel.terminate_on_exit
            && let Err(e) = client.destroy_session(&ready.session_id, false).await
        {
            tracing::warn!(code = e.code(), "cannot terminate the session: {e}");
        }
        return Err(e.into());
    }
    // The browser gets its own single-use URL, through a file only this user can read: a
    // browser's command line is visible to every local user.
    if !tunnel.no_open {
        match crate::browser::open_private(&ready.auth_url()).await {
            Ok(how) => note(ctx, format_args!("opened it in your browser ({how})")),
            Err(e) => note(
                ctx,
                format_args!("warning: no browser was opened: {e}. Open the URL above by hand"),
            ),
        }
    }
    Ok(LaunchOutcome::Ready(ready))
}

/// A line on stderr that must never stop the command: after SIGHUP the terminal is gone and
/// every write fails, yet the cleanup that follows (cancel, terminate) must still run.
fn note(ctx: &mut Context<'_>, line: std::fmt::Arguments<'_>) {
    if let Err(e) = writeln!(ctx.err, "{line}") {
        tracing::debug!("cannot write to stderr: {e}");
    }
}

/// Print progress lines until the launch ends; the first interrupt cancels it.
async fn follow(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    handle: LaunchHandle,
    mut printer: ProgressPrinter,
    mut fit: Option<FitCheck>,
) -> Result<(Result<Ready, bai_core::Error>, bool), CliError> {
    let mut progress = handle.progress();
    let canceller = handle.canceller();
    let result = handle.result();
    tokio::pin!(result);
    let mut interrupted = false;
    let mut progress_open = true;
    // Waits are checked each second, so one that lasts gets its elapsed-time lines.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The resource check runs on its own task, so progress and Ctrl-C never wait for it.
    let (hint_tx, mut hint_rx) = tokio::sync::mpsc::channel::<String>(1);
    let outcome = loop {
        tokio::select! {
            r = &mut result => break r,
            changed = progress.changed(), if progress_open => {
                if changed.is_err() {
                    progress_open = false;
                    continue;
                }
                let p = progress.borrow_and_update().clone();
                printer.print(ctx, &p);
            }
            _ = tick.tick() => {
                let p = progress.borrow().clone();
                printer.still_waiting(ctx, &p);
                if printer.pending_for() >= FIT_CHECK_AFTER
                    && let Some(check) = fit.take()
                {
                    let tx = hint_tx.clone();
                    tokio::spawn(async move {
                        if let Some(hint) = check.run().await {
                            let _ = tx.send(hint).await;
                        }
                    });
                }
            }
            Some(hint) = hint_rx.recv() => note(ctx, format_args!("{hint}")),
            _ = interrupt.next(), if !interrupted => {
                interrupted = true;
                // Cancel first: the line may fail to print (a closed terminal).
                canceller.cancel();
                note(ctx, format_args!("interrupted: cancelling the launch"));
            }
        }
    };
    // The last state may not have been seen yet (the watch keeps only the latest): a session
    // that reached RUNNING in the same instant as the launch's end still gets its line. The
    // printer repeats nothing and has no line for the ready phase itself.
    let last = progress.borrow().clone();
    printer.print(ctx, &last);
    Ok((outcome, interrupted))
}

/// Prints a line when the session's status or the launch's step changes, and an elapsed-time
/// line with the limit while a step waits (see [`Waiting`]).
struct ProgressPrinter {
    status: Option<String>,
    phase: Option<LaunchPhase>,
    started: Instant,
    /// The current step's wait (each step has its own limit).
    wait: Waiting,
    start_timeout: Duration,
    ready_timeout: Duration,
    /// Since when the session has been PENDING (waiting for resources), if it is.
    pending_since: Option<Instant>,
}

impl ProgressPrinter {
    fn new(request: &LaunchRequest) -> Self {
        let now = Instant::now();
        ProgressPrinter {
            status: None,
            phase: None,
            started: now,
            wait: Waiting::new(request.start_timeout),
            start_timeout: request.start_timeout,
            ready_timeout: request.ready_timeout,
            pending_since: None,
        }
    }

    /// How long the session has been PENDING (zero when it is not).
    fn pending_for(&self) -> Duration {
        self.pending_since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    fn line(&mut self, ctx: &mut Context<'_>, text: &str) {
        let at = self.started.elapsed().as_secs_f64();
        note(ctx, format_args!("[{at:>5.1}s] {}", text.trim_end()));
        self.wait.said();
    }

    fn print(&mut self, ctx: &mut Context<'_>, p: &LaunchProgress) {
        if let Some(status) = &p.status {
            let pending = *status == SessionStatus::Pending;
            if pending != self.pending_since.is_some() {
                self.pending_since = pending.then(Instant::now);
            }
            let text = super::list::status_text(status, p.status_info.as_deref());
            if self.status.as_deref() != Some(text.as_str()) {
                let name = p.session_name.as_deref().unwrap_or("session");
                self.line(ctx, &format!("{text}  {name}"));
                self.status = Some(text);
            }
        }
        if self.phase != Some(p.phase) {
            self.phase = Some(p.phase);
            // The limits are the launch's: RUNNING within `start_timeout` of being queued,
            // the app's answer within `ready_timeout` of the first probe.
            self.wait = Waiting::new(match p.phase {
                LaunchPhase::Probing => self.ready_timeout,
                _ => self.start_timeout,
            });
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
                    "waiting for {} to answer (at most {})",
                    p.app.as_deref().unwrap_or("the app"),
                    human(self.ready_timeout)
                )),
                LaunchPhase::Cancelling => Some("cancelling".to_owned()),
                _ => None,
            };
            if let Some(line) = line {
                self.line(ctx, &line);
            }
        }
    }

    /// An elapsed-time line when a step's wait has been silent long enough.
    fn still_waiting(&mut self, ctx: &mut Context<'_>, p: &LaunchProgress) {
        let what = match p.phase {
            LaunchPhase::Starting => format!(
                "session {} to start ({})",
                p.session_name.as_deref().unwrap_or_default(),
                p.status.as_ref().map(|s| s.as_str()).unwrap_or("queued")
            ),
            LaunchPhase::Probing => format!("{} to answer", p.app.as_deref().unwrap_or("the app")),
            _ => return,
        };
        if let Some(line) = self.wait.due(&what) {
            self.line(ctx, &line);
        }
    }
}

/// A session PENDING this long gets the resource check: a scheduler often needs a moment, but
/// by now a request that cannot fit is worth saying.
const FIT_CHECK_AFTER: Duration = Duration::from_secs(3);

/// What the resource check needs to tell whether a new session fits now.
struct FitCheck {
    client: Client,
    project: String,
    resource_group: Option<String>,
    resources: BTreeMap<String, serde_json::Value>,
}

impl FitCheck {
    /// Only a session this launch creates has a request to judge.
    fn of(client: &Client, request: &LaunchRequest) -> Option<FitCheck> {
        let SessionTarget::Create { spec, .. } = &request.target else {
            return None;
        };
        Some(FitCheck {
            client: client.clone(),
            project: spec.group.clone(),
            resource_group: spec.scaling_group.clone(),
            resources: spec.resources.clone(),
        })
    }

    /// A "does not fit now" line, when the check says so for sure (a failed check says
    /// nothing: the session may well fit).
    async fn run(self) -> Option<String> {
        let check = self
            .client
            .check_presets(&self.project, self.resource_group.as_deref());
        let check = match tokio::time::timeout(Duration::from_secs(10), check).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                tracing::debug!(code = e.code(), "resource check failed: {e}");
                return None;
            }
            Err(_) => return None,
        };
        let short = shortfalls(&self.resources, &check);
        if short.is_empty() {
            return None;
        }
        let what: Vec<String> = short
            .iter()
            .map(|s| {
                let whose = match s.limit {
                    Limit::ResourceGroup => "the resource group has",
                    Limit::Keypair => "your keypair's quota leaves",
                    Limit::Project => "the project's quota leaves",
                };
                format!(
                    "{} {} asked, {whose} {}",
                    s.slot,
                    amount_text(&s.slot, s.asked),
                    amount_text(&s.slot, s.left)
                )
            })
            .collect();
        Some(format!(
            "hint: this session does not fit now ({}); it stays PENDING until that much is free. `bai presets` shows what fits; Ctrl-C cancels",
            what.join("; ")
        ))
    }
}

/// An amount for people: memory in GiB or MiB, other slots as numbers.
fn amount_text(slot: &str, v: f64) -> String {
    const MIB: f64 = (1u64 << 20) as f64;
    const GIB: f64 = (1u64 << 30) as f64;
    let trim = |x: f64| {
        let t = format!("{x:.1}");
        t.strip_suffix(".0").map(str::to_owned).unwrap_or(t)
    };
    match slot {
        "mem" if v >= GIB => format!("{} GiB", trim(v / GIB)),
        "mem" => format!("{} MiB", trim(v / MIB)),
        _ => trim(v),
    }
}

/// Keep the tunnel until an interrupt or the session's end, then close it and (if asked)
/// terminate the session. A session that ends elsewhere (terminated from the web UI, killed
/// by the scheduler) ends the command with an error: the tunnel would only serve errors.
pub async fn hold_tunnel(
    ctx: &mut Context<'_>,
    interrupt: &mut Interrupt,
    client: &Client,
    ready: &Ready,
    terminate_on_exit: bool,
) -> Result<(), CliError> {
    note(
        ctx,
        format_args!(
            "tunnel on {}; press Ctrl-C to close it{}",
            ready.tunnel.local_addr(),
            if terminate_on_exit {
                " and terminate the session"
            } else {
                " (the session keeps running)"
            }
        ),
    );
    let name = &ready.session_name;
    let ended = tokio::select! {
        _ = interrupt.next() => None,
        ended = watch::until_ended(client, &ready.session_id) => Some(ended),
    };
    ready.tunnel.close();
    if let Some(status) = ended {
        return Err(CliError {
            code: "session-ended",
            message: format!("session {name} has ended ({status}); the tunnel is closed"),
        });
    }
    if terminate_on_exit {
        note(
            ctx,
            format_args!("closing the tunnel and terminating session {name}"),
        );
        match client.destroy_session(&ready.session_id, false).await {
            Ok(_) => note(ctx, format_args!("session {name} terminated")),
            // Ended elsewhere in the last moments: what was asked for is done.
            Err(e) if e.code() == "not-found" => {
                note(ctx, format_args!("session {name} had already ended"));
            }
            Err(e) => return Err(e.into()),
        }
    } else if let Some(status) = watch::ended_now(client, &ready.session_id).await {
        // It may have ended in the last moments, before the watch noticed.
        note(
            ctx,
            format_args!("tunnel closed; session {name} has ended ({status})"),
        );
    } else {
        note(
            ctx,
            format_args!(
                "tunnel closed; session {name} keeps running (`bai open {name}` to come back, `bai terminate {name}` to end it)"
            ),
        );
    }
    Ok(())
}
