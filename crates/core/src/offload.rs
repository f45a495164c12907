//! Blocking work (the OS keyring's synchronous D-Bus calls, which may wait on an unlock
//! prompt; the profile store's file lock) run off the async runtime's worker threads.

use crate::Error;

/// Run `f` on tokio's blocking pool and wait for it.
pub async fn blocking<T, F>(f: F) -> Result<T, Error>
where
    F: FnOnce() -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(Error::Internal {
            detail: format!("a background task failed: {e}"),
        }),
    }
}
