//! Where a notebook window may go. A pure function over URLs, like JupyterLab Desktop's
//! `navigationpolicy.ts`, so that every rule is unit-tested without a webview: the window
//! stays on its tunnel's origin, a link the user opens in a new window goes to the system
//! browser (or, on the tunnel's own origin, to another notebook window), and everything else
//! is refused.
//!
//! Two facts about the webview shape the rules:
//!
//! - The navigation hook sees the URL only, and it fires for `<iframe>`s as well as for the
//!   window: it cannot tell a click from a frame a page loads on its own. So a navigation never
//!   opens anything outside the window; it is allowed on the tunnel's origin and refused
//!   elsewhere. Were it otherwise, any page could make the system browser open a URL of its
//!   choosing with no click (it did, from an `<iframe>`).
//! - A new-window request (`target="_blank"` link, `window.open`) is only made by WebKit on a
//!   user gesture (its popup blocker drops the others), so it is the one place where the
//!   system browser may be opened.
//!
//! Hosts are compared as the URL parser normalises them (case, IPv4 written in decimal, hex or
//! octal, IPv6 written in full) and then, for the loopback test, with trailing dots removed and
//! IPv4-mapped IPv6 addresses unwrapped: every way of writing "this computer" is loopback, and
//! a loopback origin other than the tunnel's own is refused, never handed to the system browser.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tauri::Url;

/// How a page asked to go somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// The window or one of its frames navigates (a link, a redirect, `location = …`, an
    /// `<iframe src>`): no sign of a user gesture.
    Navigate,
    /// `window.open` or a `target="_blank"` link: WebKit asks only on a user gesture.
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
    /// The tunnel the window was opened on (`http://127.a.b.c:PORT/`): the origin of the URL
    /// the window was opened with.
    pub tunnel: &'a Url,
    /// The bundled status page ("reconnecting", "session ended") the app may show instead.
    pub status_page: &'a Url,
}

/// Decide what happens when a notebook window asks to go to `target`.
pub fn decide(origins: &Origins<'_>, target: &Url, request: Request) -> Decision {
    let web = matches!(target.scheme(), "http" | "https");
    // `Url::origin` of a `blob:` URL is the origin of the URL inside it.
    let same_origin = target.origin() == origins.tunnel.origin()
        && matches!(target.scheme(), "http" | "https" | "blob");
    match request {
        Request::Navigate => {
            // JupyterLab loads `about:blank`/`about:srcdoc` frames and downloads through blob:
            // and data: URLs; none of them can take the window off the tunnel.
            let in_place = matches!(target.as_str(), "about:blank" | "about:srcdoc")
                || target.scheme() == "data";
            if same_origin || in_place || is_status_page(origins.status_page, target) {
                Decision::Allow
            } else {
                // Anything else, the web included: a navigation carries no sign of a click.
                Decision::Deny
            }
        }
        Request::NewWindow if same_origin && web => Decision::NewNotebookWindow,
        // Another origin on this computer (another tunnel, a local server) would open without
        // its cookie or show something the user did not mean to expose: refuse it.
        Request::NewWindow if web && is_local(target) => Decision::Deny,
        Request::NewWindow if web || target.scheme() == "mailto" => Decision::OpenExternally,
        Request::NewWindow => Decision::Deny,
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

/// Whether `url` names this computer, however its host is written. URLs without a host are
/// not local (they are refused for other reasons).
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_local_v4(ip),
        Some(url::Host::Ipv6(ip)) => is_local_v6(ip),
        Some(url::Host::Domain(d)) => is_local_name(d),
        None => false,
    }
}

/// 127.0.0.0/8, and 0.0.0.0/8: Linux and macOS connect "0.0.0.0" to this computer.
fn is_local_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback() || ip.octets()[0] == 0
}

/// `::1`, `::`, and IPv4-mapped (`::ffff:127.0.0.1`) or -compatible (`::127.0.0.1`) forms of
/// a local IPv4 address.
fn is_local_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.to_ipv4_mapped().is_some_and(is_local_v4)
        || ip.to_ipv4().is_some_and(|v4| v4.is_loopback())
}

/// `localhost` and every name under it (RFC 6761), and the loopback names Linux distributions
/// put in `/etc/hosts`; case-insensitive, with any trailing dots (`localhost.` is a fully
/// qualified `localhost`, and resolves the same).
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    // A name the parser left as a domain but that reads as an address (it should not happen:
    // the parser turns IPv4 forms into addresses) is judged as the address.
    if let Ok(ip) = name.parse::<IpAddr>() {
        return match ip {
            IpAddr::V4(v4) => is_local_v4(v4),
            IpAddr::V6(v6) => is_local_v6(v6),
        };
    }
    name == "localhost"
        || name.ends_with(".localhost")
        || matches!(
            name.as_str(),
            "localhost.localdomain" | "ip6-localhost" | "ip6-loopback"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUNNEL: &str = "http://127.31.7.201:41234/lab";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s} is not a valid URL: {e}"))
    }

    fn check_on(tunnel: &str, target: &str, request: Request) -> Decision {
        let tunnel = url(tunnel);
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

    fn check(target: &str, request: Request) -> Decision {
        check_on(TUNNEL, target, request)
    }

    use Decision::*;
    use Request::*;

    #[test]
    fn the_tunnel_origin_stays_in_the_window() {
        for target in [
            "http://127.31.7.201:41234/lab/tree/x.ipynb",
            "http://127.31.7.201:41234/__launcher/auth?token=t",
            "http://127.31.7.201:41234/",
            // The parser writes these as the tunnel's own address: the very same origin.
            "http://127.31.7.201.:41234/lab",
            "http://0x7f.0x1f.7.0xc9:41234/lab",
            "http://2132740041:41234/lab",
        ] {
            assert_eq!(check(target, Navigate), Allow, "{target}");
        }
    }

    #[test]
    fn a_tunnel_on_127_0_0_1_keeps_working() {
        // Where the OS gives no other loopback address, the tunnel stays on 127.0.0.1.
        let tunnel = "http://127.0.0.1:41234/lab";
        assert_eq!(
            check_on(tunnel, "http://127.0.0.1:41234/lab/tree", Navigate),
            Allow
        );
        // Other spellings of 127.0.0.1 that the parser turns into it are the same origin.
        for same in [
            "http://127.0.0.1.:41234/lab",
            "http://2130706433:41234/lab",
            "http://0x7f.1:41234/lab",
            "http://0177.0.0.1:41234/lab",
            "http://127.1:41234/lab",
        ] {
            assert_eq!(check_on(tunnel, same, Navigate), Allow, "{same}");
        }
        // Names and IPv6 forms are other origins: no cookie there, and refused.
        for other in [
            "http://localhost:41234/lab",
            "http://localhost.:41234/lab",
            "http://[::1]:41234/lab",
            "http://[::ffff:127.0.0.1]:41234/lab",
            "http://127.0.0.1:41235/lab",
        ] {
            assert_eq!(check_on(tunnel, other, Navigate), Deny, "{other}");
            assert_eq!(check_on(tunnel, other, NewWindow), Deny, "{other}");
        }
    }

    #[test]
    fn same_origin_popups_become_notebook_windows() {
        // JupyterLab's "Open in New Browser Tab", a `target=_blank` link to a file.
        for target in [
            "http://127.31.7.201:41234/lab/tree/a.ipynb",
            "http://127.31.7.201:41234/files/report.html",
            "http://127.31.7.201.:41234/lab",
        ] {
            assert_eq!(check(target, NewWindow), NewNotebookWindow, "{target}");
        }
    }

    #[test]
    fn external_popups_go_to_the_system_browser() {
        // A `target=_blank` link click or `window.open`: WebKit asks only on a user gesture.
        for target in [
            "https://jupyter.org/",
            "http://example.com/docs?a=1",
            "https://EXAMPLE.com./x",
            "https://127.0.0.1.example.com/",
            "https://localhost.example.com/",
            "mailto:help@example.com",
        ] {
            assert_eq!(check(target, NewWindow), OpenExternally, "{target}");
        }
    }

    #[test]
    fn navigating_to_the_web_opens_nothing() {
        // The window or an `<iframe>` navigating elsewhere: no click is known, so nothing
        // opens outside, and the window stays where it is.
        for target in [
            "https://jupyter.org/",
            "http://example.com/docs?a=1",
            "https://evil.example/?steal=1",
            "mailto:help@example.com",
        ] {
            assert_eq!(check(target, Navigate), Deny, "{target}");
        }
    }

    /// Every way of writing "this computer" that is not the tunnel's origin.
    const LOCAL_FORMS: &[&str] = &[
        // Another tunnel: another port, or another loopback address.
        "http://127.31.7.201:41235/lab",
        "http://127.0.0.1:41234/lab",
        "http://127.31.7.202:41234/lab",
        "https://127.31.7.201:41234/lab",
        // Names, any case, with trailing dots.
        "http://localhost:41234/lab",
        "http://localhost.:41234/lab",
        "http://localhost..:41234/lab",
        "http://LOCALHOST:41234/lab",
        "http://LocalHost.:41234/lab",
        "http://app.localhost/",
        "http://app.localhost.:8888/",
        "http://A.B.LOCALHOST:8888/",
        "http://localhost.localdomain:8888/",
        "http://ip6-localhost:8888/",
        "http://%6c%6fcalhost:8888/",
        // Fullwidth "localhost": IDNA maps it to plain letters.
        "http://\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}:8888/",
        // IPv4 in every form the parser knows, and with a trailing dot.
        "http://127.0.0.1.:8888/",
        "http://127.0.0.1%2e:8888/",
        "http://2130706433:8888/",
        "http://0x7f000001:8888/",
        "http://0x7f.1:8888/",
        "http://0x7F.0.0.1:8888/",
        "http://0177.0.0.1:8888/",
        "http://017700000001:8888/",
        "http://127.1:8888/",
        "http://127.0.1:8888/",
        "http://127.255.255.254:8888/",
        // 0.0.0.0 reaches this computer on Linux and macOS.
        "http://0.0.0.0:8888/",
        "http://0:8888/",
        // IPv6 loopback, written short and long, mapped and compatible IPv4 forms.
        "http://[::1]:8888/",
        "http://[0:0:0:0:0:0:0:1]:8888/",
        "http://[0000:0000:0000:0000:0000:0000:0000:0001]:8888/",
        "http://[::]:8888/",
        "http://[::ffff:127.0.0.1]:8888/",
        "http://[::ffff:7f00:1]:8888/",
        "http://[::FFFF:127.31.7.201]:41234/lab",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:8888/",
        "http://[::127.0.0.1]:8888/",
    ];

    #[test]
    fn every_form_of_loopback_is_local() {
        for target in LOCAL_FORMS {
            assert!(is_local(&url(target)), "{target} is not seen as local");
        }
        for target in [
            "https://example.com/",
            "https://localhost.example.com/",
            "https://notlocalhost/",
            "http://128.0.0.1/",
            "http://[2001:db8::1]/",
            "http://[::ffff:8.8.8.8]/",
        ] {
            assert!(!is_local(&url(target)), "{target} is seen as local");
        }
    }

    #[test]
    fn other_local_origins_are_refused() {
        for target in LOCAL_FORMS {
            assert_eq!(check(target, Navigate), Deny, "{target}");
            assert_eq!(check(target, NewWindow), Deny, "{target}");
        }
    }

    #[test]
    fn app_pages_and_odd_schemes_are_refused() {
        for target in [
            "tauri://localhost/index.html",
            "tauri://localhost/",
            "http://tauri.localhost/index.html",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "ipc://localhost/app_info",
            "ftp://example.com/",
            "tel:+15555550100",
            "blob:https://example.com/uuid",
            "blob:http://127.31.7.201:41235/uuid",
            "about:config",
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
        assert_eq!(
            check("blob:http://127.31.7.201:41234/uuid", Navigate),
            Allow
        );
        assert_eq!(check("data:text/plain,hi", Navigate), Allow);
        assert_eq!(check("about:blank", NewWindow), Deny);
        assert_eq!(check("data:text/html,<b>x</b>", NewWindow), Deny);
        assert_eq!(
            check("blob:http://127.31.7.201:41234/uuid", NewWindow),
            Deny
        );
    }
}
