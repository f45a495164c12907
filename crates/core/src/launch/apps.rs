//! Which app of a session to open.

use crate::client::AppInfo;

use crate::Error;

/// Apps tried in order when none is asked for.
const DEFAULT_APPS: &[&str] = &["jupyterlab", "jupyter"];

/// Protocols a browser can use through the tunnel.
fn is_web(app: &AppInfo) -> bool {
    matches!(app.protocol.as_str(), "http" | "preopen")
}

/// The asked-for app (which must be a web app the session offers), else JupyterLab, else the
/// classic notebook.
pub fn pick_app(apps: &[AppInfo], wanted: Option<&str>) -> Result<String, Error> {
    let offered = || apps.iter().map(|a| a.name.clone()).collect::<Vec<_>>();
    if let Some(w) = wanted {
        return match apps.iter().find(|a| a.name == w) {
            Some(a) if is_web(a) => Ok(a.name.clone()),
            Some(a) => Err(Error::AppNotWeb {
                app: a.name.clone(),
                protocol: a.protocol.clone(),
            }),
            None => Err(Error::AppNotOffered {
                app: Some(w.to_owned()),
                offered: offered(),
            }),
        };
    }
    DEFAULT_APPS
        .iter()
        .find_map(|d| apps.iter().find(|a| a.name == *d && is_web(a)))
        .map(|a| a.name.clone())
        .ok_or_else(|| Error::AppNotOffered {
            app: None,
            offered: offered(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, protocol: &str) -> AppInfo {
        AppInfo {
            name: name.into(),
            protocol: protocol.into(),
            ports: vec![8090],
            url_template: None,
        }
    }

    #[test]
    fn prefers_jupyterlab_then_jupyter() {
        let both = [app("jupyter", "http"), app("jupyterlab", "http")];
        assert_eq!(pick_app(&both, None).expect("pick"), "jupyterlab");
        let classic = [app("sshd", "tcp"), app("jupyter", "http")];
        assert_eq!(pick_app(&classic, None).expect("pick"), "jupyter");
    }

    #[test]
    fn asked_app_must_be_offered_and_web() {
        let apps = [app("vscode", "http"), app("sshd", "tcp")];
        assert_eq!(pick_app(&apps, Some("vscode")).expect("pick"), "vscode");
        assert!(matches!(
            pick_app(&apps, Some("sshd")),
            Err(Error::AppNotWeb { .. })
        ));
        let err = pick_app(&apps, Some("ttyd")).expect_err("not offered");
        assert!(err.to_string().contains("vscode"), "{err}");
        assert!(pick_app(&apps, None).is_err());
    }
}
