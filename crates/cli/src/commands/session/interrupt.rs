//! Ctrl-C (and SIGTERM) as a stream of "interrupt" events a command can wait for, so a launch
//! can cancel cleanly and a running tunnel can close cleanly. Tests make their own.

use tokio::sync::watch;

/// Wakes once per interrupt. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<u32>);

impl Interrupt {
    /// An interrupt fed by the returned sender (tests, or a UI).
    pub fn manual() -> (watch::Sender<u32>, Interrupt) {
        let (tx, rx) = watch::channel(0);
        (tx, Interrupt(rx))
    }

    /// An interrupt fed by SIGINT and SIGTERM. Installing the handlers replaces the default
    /// "die at once", so only commands that clean up on an interrupt call this.
    pub fn from_signals() -> Interrupt {
        let (tx, rx) = Self::manual();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            loop {
                #[cfg(unix)]
                let term_fut = async {
                    match term.as_mut() {
                        Some(t) => {
                            t.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let term_fut = std::future::pending::<()>();
                tokio::select! {
                    r = tokio::signal::ctrl_c() => {
                        if r.is_err() {
                            // No handler could be installed: never report an interrupt.
                            std::future::pending::<()>().await;
                        }
                    }
                    _ = term_fut => {}
                }
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
