//! The baseline of the desktop benchmark (`benches/desktop/run.sh`): the smallest Tauri app,
//! built the same way as the launcher (release, custom protocol, the same tauri features). Its
//! one window runs a script that calls one command, as the launcher UI calls `ui_ready` once it
//! has rendered, so both apps are timed to the same event: page loaded, script run, Rust told.

use std::time::{SystemTime, UNIX_EPOCH};

#[tauri::command]
fn ready() -> u128 {
    let epoch_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    println!("ready epoch_ms={epoch_ms}");
    epoch_ms
}

fn main() {
    let result = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("the minimal app could not start: {e}");
        std::process::exit(1);
    }
}
