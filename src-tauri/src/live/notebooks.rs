//! Notebook windows: one per session and app (label `notebook-<session id>-<app>`), opened on a
//! fresh single-use auth URL of the tunnel. They match no capability, so their pages cannot call
//! the app; the navigation policy keeps them on the tunnel's origin; a new-window request (a
//! `target=_blank` link or `window.open`, made only on a user gesture) to the same origin
//! becomes another notebook window and one to the web opens the system browser; each profile
//! gets its own webview data directory (0700) so cookies stay per cluster.
//!
//! The windows follow the session service: a ready tunnel opens one, a session that ended on
//! the server turns its windows to the status page, one the app ended closes them; each window
//! opened or closed is reported back to the service, which closes a tunnel with its last window.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use bai_core::private_fs::private_dir;
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Manager, Runtime, Url, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

use bai_core::live::{LiveEvent, OpenTunnel};

use crate::error::CommandError;
use crate::navigation::{self, Decision, Origins, Request};
use crate::state::AppState;

/// Every notebook window's label starts with this.
pub const LABEL_PREFIX: &str = "notebook-";
/// The bundled page shown when a notebook's tunnel is gone (see `ui/public`).
pub const STATUS_PAGE: &str = "notebook-status.html";

/// Keep only what Tauri allows in a label (`a-zA-Z0-9-/:_`), so any session id or app name
/// gives a valid, stable label.
pub fn sanitize(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The label of the first notebook window of this session and app.
pub fn base_label(session_id: &str, app: &str) -> String {
    format!("{LABEL_PREFIX}{}-{}", sanitize(session_id), sanitize(app))
}

pub fn is_notebook(label: &str) -> bool {
    label.starts_with(LABEL_PREFIX)
}

/// The bundled status page's URL as a notebook window sees it.
pub fn status_page_url(state: &str, session: &str) -> Url {
    let base = if cfg!(windows) {
        "http://tauri.localhost/"
    } else {
        "tauri://localhost/"
    };
    let mut url = Url::parse(base)
        .and_then(|b| b.join(STATUS_PAGE))
        .unwrap_or_else(|_| Url::parse("about:blank").expect("a valid URL"));
    url.query_pairs_mut()
        .append_pair("state", state)
        .append_pair("session", session);
    url
}

/// Where a profile's notebook webviews keep cookies and storage: a 0700 folder per profile,
/// made so here, before WebKit puts anything in it (Tauri would create it with the default
/// mode). A folder that others can write is refused, with the fix, and the window does not
/// open. Under WebDriver automation WebKitGTK allows one automation context only (the default
/// one), so windows share it there.
fn data_directory<R: Runtime>(
    app: &AppHandle<R>,
    profile_id: &str,
) -> Result<Option<PathBuf>, CommandError> {
    if std::env::var("TAURI_WEBVIEW_AUTOMATION").as_deref() == Ok("true") {
        tracing::info!(
            "webview automation is on: notebook windows share the default data directory"
        );
        return Ok(None);
    }
    let base = match app.path().app_local_data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            tracing::warn!("no app data folder ({e}); notebook cookies use the default store");
            return Ok(None);
        }
    };
    Ok(Some(profile_data_dir(&base, profile_id)?))
}

/// `base/webview/<profile>`, each of the three folders made 0700 (see [`data_directory`]).
pub fn profile_data_dir(base: &Path, profile_id: &str) -> Result<PathBuf, bai_core::Error> {
    let webview = base.join("webview");
    let dir = webview.join(sanitize(profile_id));
    for d in [base, &webview, &dir] {
        private_dir(d)?;
    }
    Ok(dir)
}

static EXTRA_WINDOWS: AtomicU32 = AtomicU32::new(1);

/// Open (or focus) the notebook window for `open` at `url`: a fresh auth URL of the tunnel (its
/// token is single-use and short-lived, so every new window asks the tunnel for one and it is
/// never kept or logged), or, for a popup of an open window, a URL on the tunnel's origin, where
/// the cookie of the profile's webview data directory lets it in. The window's origin is the
/// origin of `url`, whatever loopback address the tunnel listens on.
pub fn open_window<R: Runtime>(
    app: &AppHandle<R>,
    open: &OpenTunnel,
    url: &Url,
    extra: bool,
) -> Result<WebviewWindow<R>, CommandError> {
    let base = base_label(&open.session_id, &open.app);
    if !extra && let Some(existing) = app.get_webview_window(&base) {
        focus(&existing);
        return Ok(existing);
    }
    let label = if extra {
        format!("{base}-{}", EXTRA_WINDOWS.fetch_add(1, Ordering::Relaxed))
    } else {
        base.clone()
    };
    let tunnel_origin = origin_of(url)?;
    let status = status_page_url("ended", &open.session_name);
    let (nav_tunnel, nav_status) = (tunnel_origin.clone(), status.clone());
    let popup_app = app.clone();
    let popup_open = open.clone();
    let (popup_tunnel, popup_status) = (tunnel_origin, status);
    let mut builder = WebviewWindowBuilder::new(app, &label, WebviewUrl::External(url.clone()))
        .title(format!("{} · {}", open.session_name, open.profile_name))
        .inner_size(1200.0, 800.0)
        .min_inner_size(480.0, 360.0)
        .on_navigation(move |target| {
            let origins = Origins {
                tunnel: &nav_tunnel,
                status_page: &nav_status,
            };
            // This hook also sees `<iframe>` loads and cannot tell a click: a navigation is
            // allowed or refused, and never opens anything outside the window.
            match navigation::decide(&origins, target, Request::Navigate) {
                Decision::Allow => true,
                Decision::OpenExternally | Decision::NewNotebookWindow | Decision::Deny => {
                    tracing::info!(
                        scheme = target.scheme(),
                        host = target.host_str().unwrap_or(""),
                        "notebook navigation refused"
                    );
                    false
                }
            }
        })
        .on_new_window(move |target, _features| {
            let origins = Origins {
                tunnel: &popup_tunnel,
                status_page: &popup_status,
            };
            match navigation::decide(&origins, &target, Request::NewWindow) {
                Decision::NewNotebookWindow => {
                    // Opened on the next turn: building a window inside this callback would
                    // wait on the event loop that is running it.
                    let (app, open) = (popup_app.clone(), popup_open.clone());
                    tauri::async_runtime::spawn(async move {
                        match open_window(&app, &open, &target, true) {
                            Ok(w) => register_window(&app, &open, w.label()),
                            Err(e) => tracing::warn!("could not open another notebook window: {e}"),
                        }
                    });
                }
                Decision::OpenExternally => open_externally(&popup_app, &target),
                Decision::Allow | Decision::Deny => {
                    tracing::info!(
                        scheme = target.scheme(),
                        host = target.host_str().unwrap_or(""),
                        "notebook popup refused"
                    );
                }
            }
            NewWindowResponse::Deny
        });
    if let Some(dir) = data_directory(app, &open.profile_id)? {
        builder = builder.data_directory(dir);
    }
    let window = builder.build().map_err(|e| {
        CommandError::new(
            "window-failed",
            format!("could not open the notebook window: {e}"),
        )
    })?;
    tracing::info!(label, session = %open.session_name, app = %open.app, "notebook window opened");
    Ok(window)
}

/// Tell the service that `label` shows `open`'s tunnel. If the tunnel is gone meanwhile (its
/// session ended between the launch and this window), the window says so.
pub fn register_window<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel, label: &str) {
    let service = &app.state::<AppState>().service;
    if !service.window_opened(&open.key(), label)
        && let Some(w) = app.get_webview_window(label)
        && let Err(e) = w.navigate(status_page_url("ended", &open.session_name))
    {
        tracing::warn!(label, "could not show the status page: {e}");
    }
}

/// What the notebook windows do with the service's events.
pub fn on_event<R: Runtime>(app: &AppHandle<R>, event: LiveEvent) {
    match event {
        LiveEvent::TunnelUp { launch_id, tunnel } => {
            if let Err(e) = show(app, &tunnel) {
                tracing::warn!(code = %e.code, "the notebook window did not open: {}", e.message);
                app.state::<AppState>().service.tunnel_unusable(
                    &launch_id,
                    &tunnel.key(),
                    bai_core::live::Problem::new(e.code, e.message),
                );
            }
        }
        LiveEvent::Focus(t) => {
            focus_any(app, &t);
        }
        LiveEvent::TunnelLost(t) => show_status(app, &t, "ended"),
        LiveEvent::TunnelClosed(t) => destroy_windows(app, &t),
        _ => {}
    }
}

/// Open the notebook window on a ready tunnel, at a fresh single-use auth URL.
fn show<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel) -> Result<(), CommandError> {
    let auth_url = open.tunnel.auth_url();
    let url = Url::parse(auth_url.expose()).map_err(|e| {
        CommandError::new("internal", format!("the tunnel gave an unusable URL: {e}"))
    })?;
    let window = open_window(app, open, &url, false)?;
    register_window(app, open, window.label());
    Ok(())
}

/// `http://host:port/` of a URL with a host (the tunnel's auth URL).
fn origin_of(url: &Url) -> Result<Url, CommandError> {
    let origin = url.origin();
    if !origin.is_tuple() {
        return Err(CommandError::new(
            "internal",
            "the tunnel gave a URL without an origin",
        ));
    }
    Url::parse(&format!("{}/", origin.ascii_serialization()))
        .map_err(|e| CommandError::new("internal", format!("bad tunnel address: {e}")))
}

fn open_externally<R: Runtime>(_app: &AppHandle<R>, url: &Url) {
    tracing::info!(
        host = url.host_str().unwrap_or(""),
        "opening a link in the system browser"
    );
    if let Err(e) = tauri_plugin_opener::open_url(url.as_str(), None::<&str>) {
        tracing::warn!("could not open the system browser: {e}");
    }
}

pub fn focus<R: Runtime>(w: &WebviewWindow<R>) {
    for r in [w.unminimize(), w.show(), w.set_focus()] {
        if let Err(e) = r {
            tracing::warn!("could not show a notebook window: {e}");
        }
    }
}

/// Show every window of `open` again (tray "Open", quick start reuse). False if none is left.
pub fn focus_any<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel) -> bool {
    let mut shown = false;
    for label in &open.windows {
        if let Some(w) = app.get_webview_window(label) {
            focus(&w);
            shown = true;
        }
    }
    shown
}

/// The tunnel of these windows is gone (the session ended): show the bundled status page
/// instead of a blank or broken page.
pub fn show_status<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel, state: &str) {
    let url = status_page_url(state, &open.session_name);
    for label in &open.windows {
        if let Some(w) = app.get_webview_window(label)
            && let Err(e) = w.navigate(url.clone())
        {
            tracing::warn!(label, "could not show the status page: {e}");
        }
    }
}

/// Close windows without asking (the session was terminated from the app).
pub fn destroy_windows<R: Runtime>(app: &AppHandle<R>, open: &OpenTunnel) {
    for label in &open.windows {
        if let Some(w) = app.get_webview_window(label)
            && let Err(e) = w.destroy()
        {
            tracing::warn!(label, "could not close a notebook window: {e}");
        }
    }
}

/// A notebook window is gone: the service forgets it, and closes the tunnel with its last
/// window (the session keeps running unless the close handler terminated it).
pub fn window_destroyed<R: Runtime>(app: &AppHandle<R>, label: &str) {
    if let Some(state) = app.try_state::<AppState>() {
        state.service.window_closed(label);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn the_profile_data_folders_are_0700() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path().join("ai.backend.launcher");
        // As Tauri or an older launcher left it.
        std::fs::create_dir(&base).expect("mkdir");
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let dir = profile_data_dir(&base, "p/1").expect("made");
        assert_eq!(dir, base.join("webview").join("p_1"));
        for d in [&base, &base.join("webview"), &dir] {
            assert_eq!(mode(d), 0o700, "{}", d.display());
        }
        profile_data_dir(&base, "p/1").expect("again");
    }

    #[test]
    fn a_profile_data_folder_others_can_write_is_refused() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let base = tmp.path().join("ai.backend.launcher");
        let dir = profile_data_dir(&base, "p1").expect("made");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
        let e = profile_data_dir(&base, "p1").expect_err("refused");
        assert_eq!(e.code(), "unsafe-folder");
    }
}
