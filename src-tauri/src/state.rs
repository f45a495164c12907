//! The shell's state, managed by Tauri and reached from commands through `State<AppState>`.

/// Everything the running app keeps between commands. Empty for now: the profile store, the
/// keyring handle, running launches and tunnels will live here, owned by `bai-core` types, so
/// the UI is a view of this state and never a second copy of it.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct AppState {}
