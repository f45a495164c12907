//! The launch history: a profile's recent launches (the core records each one), clearing
//! them, and launching an ended one again through the session service, like any launch.

use bai_core::live::HistoryView;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// `profile_id`'s recorded launches, newest first, each marked `ended` when it can be
/// launched again.
#[tauri::command]
pub async fn launch_history(
    state: State<'_, AppState>,
    profile_id: String,
) -> Result<HistoryView, CommandError> {
    Ok(state.service.launch_history(&profile_id).await?)
}

/// Forget `profile_id`'s recorded launches; returns how many were forgotten.
#[tauri::command]
pub async fn clear_launch_history(
    state: State<'_, AppState>,
    profile_id: String,
) -> Result<usize, CommandError> {
    Ok(state.service.clear_launch_history(&profile_id).await?)
}

/// Launch `session` (name or id) again exactly as it was recorded; returns the launch's id at
/// once, and progress follows as `launch-progress` events.
#[tauri::command]
pub async fn launch_again(
    state: State<'_, AppState>,
    profile_id: String,
    session: String,
) -> Result<String, CommandError> {
    Ok(state.service.launch_again(&profile_id, &session).await?)
}
