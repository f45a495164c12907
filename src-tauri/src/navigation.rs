//! Where a notebook window may go. A pure function over URLs, like JupyterLab Desktop's
//! `navigationpolicy.ts`, so that every rule is unit-tested without a webview: the window
//! stays on its tunnel's origin, the web goes to the system browser, JupyterLab's own "open in
//! a new browser tab" becomes another notebook window, and everything else is refused.

use tauri::Url;

/// How a page asked to go somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The window itself navigates (a link, a redirect, `location = …`).
    Navigate,
    /// `window.open` or a `target="_blank"` link.
    NewWindow,
}

/// What to do with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Let the webview go there.
    Allow,
    /// Refuse in the webview and hand the URL to the system browser.
    OpenExternally,
    /// Refuse the popup and open this URL in another notebook window of the same session.
    NewNotebookWindow,
    /// Refuse, and do nothing else.
    Deny,
}

/// The origins a notebook window knows about.
#[derive(Debug, Clone)]
pub struct Origins<'a> {
    /// The tunnel the window was opened on (`http://127.0.0.1:PORT/`).
    pub tunnel: &'a Url,
    /// The bundled status page ("reconnecting", "session ended") the app may show instead.
    pub status_page: &'a Url,
}

/// Decide what happens when a notebook window asks to go to `target`.
pub fn decide(origins: &Origins<'_>, target: &Url, request: Request) -> Decision {
    let same_origin = target.origin() == origins.tunnel.origin();
    match (request, target.scheme()) {
        // JupyterLab loads `about:blank`/`about:srcdoc` frames and downloads through blob:/data:
        // URLs; none of them can take the window off the tunnel.
        (Request::Navigate, "about" | "blob" | "data") => Decision::Allow,
        (Request::Navigate, _) if same_origin => Decision::Allow,
        (Request::Navigate, _) if is_status_page(origins.status_page, target) => Decision::Allow,
        (Request::NewWindow, _) if same_origin => Decision::NewNotebookWindow,
        // Another origin on this computer (another tunnel, a local server) would open without
        // its cookie or show something the user did not mean to expose: refuse it.
        (_, "http" | "https") if is_loopback(target) => Decision::Deny,
        (_, "http" | "https" | "mailto") => Decision::OpenExternally,
        _ => Decision::Deny,
    }
}

/// The status page with any query, but nothing else from the app's own origin: other bundled
/// pages (the launcher UI) must never load in a notebook window.
fn is_status_page(status_page: &Url, target: &Url) -> bool {
    // Compared by parts: `tauri://` URLs have opaque origins, which never compare equal.
    target.scheme() == status_page.scheme()
        && target.port_or_known_default() == status_page.port_or_known_default()
        && target.host_str() == status_page.host_str()
        && target.path() == status_page.path()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("a valid URL")
    }

    fn check(target: &str, request: Request) -> Decision {
        let tunnel = url("http://127.0.0.1:41234/lab");
        let status = url("tauri://localhost/notebook-status.html");
        decide(
            &Origins {
                tunnel: &tunnel,
                status_page: &status,
            },
            &url(target),
            request,
        )
    }

    use Decision::*;
    use Request::*;

    #[test]
    fn the_tunnel_origin_stays_in_the_window() {
        assert_eq!(
            check("http://127.0.0.1:41234/lab/tree/x.ipynb", Navigate),
            Allow
        );
        assert_eq!(
            check("http://127.0.0.1:41234/__launcher/auth?token=t", Navigate),
            Allow
        );
        assert_eq!(check("http://127.0.0.1:41234/", Navigate), Allow);
    }

    #[test]
    fn same_origin_popups_become_notebook_windows() {
        // JupyterLab's "Open in New Browser Tab".
        assert_eq!(
            check("http://127.0.0.1:41234/lab/tree/a.ipynb", NewWindow),
            NewNotebookWindow
        );
    }

    #[test]
    fn the_web_goes_to_the_system_browser() {
        for target in [
            "https://jupyter.org/",
            "http://example.com/docs?a=1",
            "mailto:help@example.com",
        ] {
            assert_eq!(check(target, Navigate), OpenExternally, "{target}");
            assert_eq!(check(target, NewWindow), OpenExternally, "{target}");
        }
    }

    #[test]
    fn other_local_origins_are_refused() {
        for target in [
            "http://127.0.0.1:41235/lab", // another port: another tunnel
            "http://localhost:41234/lab", // same port, other host: no cookie there
            "http://[::1]:8888/",
            "http://app.localhost/",
        ] {
            assert_eq!(check(target, Navigate), Deny, "{target}");
            assert_eq!(check(target, NewWindow), Deny, "{target}");
        }
    }

    #[test]
    fn app_pages_and_odd_schemes_are_refused() {
        for target in [
            "tauri://localhost/index.html",
            "tauri://localhost/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ipc://localhost/app_info",
            "ftp://example.com/",
        ] {
            assert_eq!(check(target, Navigate), Deny, "{target}");
            assert_eq!(check(target, NewWindow), Deny, "{target}");
        }
    }

    #[test]
    fn the_status_page_may_be_shown_but_not_popped_up() {
        assert_eq!(
            check(
                "tauri://localhost/notebook-status.html?state=ended",
                Navigate
            ),
            Allow
        );
        assert_eq!(
            check("tauri://localhost/notebook-status.html", NewWindow),
            Deny
        );
    }

    #[test]
    fn frames_and_downloads_are_allowed_in_place_only() {
        assert_eq!(check("about:blank", Navigate), Allow);
        assert_eq!(check("about:srcdoc", Navigate), Allow);
        assert_eq!(check("blob:http://127.0.0.1:41234/uuid", Navigate), Allow);
        assert_eq!(check("data:text/plain,hi", Navigate), Allow);
        assert_eq!(check("about:blank", NewWindow), Deny);
        assert_eq!(check("data:text/html,<b>x</b>", NewWindow), Deny);
    }
}
