//! Ctrl-C, SIGTERM and SIGHUP (a closed terminal) as a stream of "interrupt" events a command
//! can wait for, so a launch can cancel cleanly and a running tunnel can close cleanly. All
//! three mean "stop now, but clean up first": a closed terminal must not leave a session
//! running any more than Ctrl-C does. Tests make their own.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio::sync::watch;

/// The last signal that stopped a command (0: none). Process-wide because signals and the
/// exit status are: `main` turns it into the shell's `128 + signal` once the cleanup is done.
static RECEIVED: AtomicU8 = AtomicU8::new(0);

/// Wakes once per interrupt. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<u32>);

impl Interrupt {
    /// An interrupt fed by the returned sender (tests, or a UI).
    pub fn manual() -> (watch::Sender<u32>, Interrupt) {
        let (tx, rx) = watch::channel(0);
        (tx, Interrupt(rx))
    }

    /// An interrupt fed by SIGINT, SIGTERM and SIGHUP. Installing the handlers replaces the
    /// default "die at once", so only commands that clean up on an interrupt call this.
    pub fn from_signals() -> Interrupt {
        let (tx, rx) = Self::manual();
        // Installed before this returns, so a signal right after start is not lost.
        let mut signals = Signals::install();
        tokio::spawn(async move {
            // None: no handler could be installed; never report an interrupt.
            while let Some(signal) = signals.next().await {
                RECEIVED.store(signal, Ordering::SeqCst);
                tx.send_modify(|n| *n += 1);
            }
        });
        rx
    }

    /// Wait for the next interrupt (forever when nothing can send one any more).
    pub async fn next(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The exit status for a command a signal stopped: `128 + signal` (130 Ctrl-C, 143 SIGTERM,
/// 129 SIGHUP), as the shell reports a process the signal killed; None when none came.
pub fn exit_status() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(128 + n),
    }
}

/// The signals a cleaning-up command takes over, installed once for the whole run.
#[cfg(unix)]
struct Signals(Vec<(tokio::signal::unix::Signal, u8)>);

#[cfg(unix)]
impl Signals {
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            (SignalKind::interrupt(), 2),
            (SignalKind::terminate(), 15),
            (SignalKind::hangup(), 1),
        ];
        Signals(
            kinds
                .into_iter()
                .filter_map(|(kind, number)| signal(kind).ok().map(|s| (s, number)))
                .collect(),
        )
    }

    /// The number of the next signal; None when none can come.
    async fn next(&mut self) -> Option<u8> {
        if self.0.is_empty() {
            return None;
        }
        let waits = self.0.iter_mut().map(|(s, number)| {
            let number = *number;
            Box::pin(async move { s.recv().await.map(|()| number) })
        });
        futures_util::future::select_all(waits).await.0
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Signals {
        Signals
    }

    async fn next(&mut self) -> Option<u8> {
        tokio::signal::ctrl_c().await.ok().map(|()| 2)
    }
}
