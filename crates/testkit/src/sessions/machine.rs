//! The state machine: timed progression to RUNNING, destroy, failure, remote termination.
//! Every transition is a check-and-set under the world lock, and emits its event while the
//! lock is held, so SSE subscribers see events in transition order.

use std::time::Duration;

use crate::events::SessionEvent;
use crate::problem::Problem;
use crate::sessions::{Session, Status};
use crate::state::{AppState, World};

/// The event a session emits on entering `status`.
fn event_name(status: Status) -> &'static str {
    match status {
        Status::Pending => "session_enqueued",
        Status::Scheduled => "session_scheduled",
        Status::Preparing => "session_preparing",
        // The real manager reports image pulling as a kernel event only.
        Status::Pulling => "kernel_pulling",
        Status::Prepared => "session_prepared",
        Status::Creating => "session_creating",
        Status::Running => "session_started",
        Status::Terminating => "session_terminating",
        Status::Terminated => "session_terminated",
        Status::Cancelled => "session_cancelled",
        // Interactive sessions have no failure event of their own; the manager tears the
        // kernels down and clients see `session_terminated` with the reason.
        Status::Error => "session_terminated",
    }
}

/// Moves a session to `to` and emits the event; the caller holds the lock.
pub(crate) fn set_status(
    state: &AppState,
    world: &mut World,
    id: uuid::Uuid,
    to: Status,
    info: Option<&str>,
) {
    let now = state.now();
    let Some(s) = world.sessions.iter_mut().find(|s| s.id == id) else {
        return;
    };
    s.status = to;
    s.status_changed = now;
    if let Some(info) = info {
        s.status_info = Some(info.to_owned());
    }
    if to.is_terminal() {
        s.terminated_at = Some(now);
    }
    s.status_history
        .insert(to.as_str().to_owned(), now.to_rfc3339());
    let ev = SessionEvent::new(event_name(to), s, info.unwrap_or(""));
    // No subscribers is normal.
    let _ = state.events.send(ev);
}

/// What the driver should do next with a session.
enum Step {
    Stop,
    Wait,
    Advance(Status),
}

fn next_step(world: &World, id: uuid::Uuid, from: Status, fits: bool) -> Step {
    let Some(s) = world.sessions.iter().find(|s| s.id == id) else {
        return Step::Stop;
    };
    if s.status != from {
        return Step::Stop;
    }
    if s.hold == Some(from) || (from == Status::Pending && !fits) {
        return Step::Wait;
    }
    let pos = Status::PROGRESSION.iter().position(|&st| st == from);
    match pos.and_then(|p| Status::PROGRESSION.get(p + 1)) {
        Some(&next) => Step::Advance(next),
        None => Step::Stop,
    }
}

/// Walks a new session from PENDING to RUNNING, dwelling per the schedule.
pub fn spawn_driver(state: AppState, id: uuid::Uuid) {
    tokio::spawn(async move {
        let fits = {
            let w = state.world();
            w.sessions.iter().find(|s| s.id == id).is_some_and(|s| {
                s.cpu <= state.config.capacity.cpu && s.mem <= state.config.capacity.mem
            })
        };
        let mut current = Status::Pending;
        loop {
            let dwell = state.world().schedule.dwell(current);
            tokio::time::sleep(dwell).await;
            loop {
                let notified = state.changed.notified();
                let step = {
                    let mut w = state.world();
                    match next_step(&w, id, current, fits) {
                        Step::Advance(next) => {
                            set_status(&state, &mut w, id, next, None);
                            Step::Advance(next)
                        }
                        other => other,
                    }
                };
                match step {
                    Step::Stop => return,
                    Step::Advance(Status::Running) => return,
                    Step::Advance(next) => {
                        current = next;
                        break;
                    }
                    // Held: wake on a control change, with a poll as a safety net.
                    Step::Wait => {
                        let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
                    }
                }
            }
        }
    });
}

/// An idle checker ends the session (`reason`: `idle-timeout`, ...).
pub fn reclaim(state: &AppState, world: &mut World, id: uuid::Uuid, reason: &str) {
    start_termination(state, world, id, reason);
}

/// TERMINATING now, TERMINATED after the schedule's TERMINATING dwell.
fn start_termination(state: &AppState, world: &mut World, id: uuid::Uuid, reason: &str) {
    set_status(state, world, id, Status::Terminating, Some(reason));
    let dwell = world.schedule.dwell(Status::Terminating);
    let state = state.clone();
    let reason = reason.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(dwell).await;
        let mut w = state.world();
        let still = w
            .sessions
            .iter()
            .any(|s| s.id == id && s.status == Status::Terminating);
        if still {
            set_status(&state, &mut w, id, Status::Terminated, Some(&reason));
        }
    });
}

/// `DELETE /session/{id}`: cancels a PENDING session, terminates any other live one.
pub fn destroy(state: &AppState, session: &Session) -> Result<(), Problem> {
    let mut w = state.world();
    let Some(current) = w
        .sessions
        .iter()
        .find(|s| s.id == session.id)
        .map(|s| s.status)
    else {
        return Err(Problem::session_not_found());
    };
    match current {
        Status::Pending => set_status(
            state,
            &mut w,
            session.id,
            Status::Cancelled,
            Some("user-requested"),
        ),
        Status::Terminating => {}
        s if s.is_terminal() => return Err(Problem::session_not_found()),
        _ => start_termination(state, &mut w, session.id, "user-requested"),
    }
    Ok(())
}

/// Control: the session fails (ERROR) with `status_info`.
pub fn fail(state: &AppState, id: uuid::Uuid, status_info: &str) {
    let mut w = state.world();
    set_status(state, &mut w, id, Status::Error, Some(status_info));
    drop(w);
    state.notify_changed();
}

/// Control: an administrator or the idle checker terminates the session.
pub fn terminate_remotely(state: &AppState, id: uuid::Uuid) {
    let mut w = state.world();
    let status = w.sessions.iter().find(|s| s.id == id).map(|s| s.status);
    match status {
        Some(Status::Pending) => set_status(
            state,
            &mut w,
            id,
            Status::Cancelled,
            Some("force-terminated"),
        ),
        Some(s) if !s.is_terminal() && s != Status::Terminating => {
            start_termination(state, &mut w, id, "force-terminated")
        }
        _ => {}
    }
    drop(w);
    state.notify_changed();
}
