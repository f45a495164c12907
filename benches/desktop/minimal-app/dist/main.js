// Tell Rust the page has loaded and run its script (the launcher UI calls ui_ready likewise).
window.__TAURI_INTERNALS__.invoke("ready");
