"""The installed .deb's "Try the demo", driven by scripts/check-deb.sh (not part of the E2E run:
the name does not match test_*.py; check-deb.sh names this file to pytest). It reuses the E2E
fixtures and helpers (conftest.py, test_sessions.py, test_z_quit.py) against E2E_APP =
/usr/bin/bai-launcher, started by tauri-driver with a PATH that has no JupyterLab:

1. "Try the demo" explains that JupyterLab is missing and shows the exact commands;
2. "Install JupyterLab" (the user's consent) creates the app's own venv with pip, with a
   progress view, after which the demo starts by itself; Quick start on the Demo profile opens
   JupyterLab in a notebook window;
3. quitting the app stops the packaged demo server.
"""

import os
import pathlib
import time

from test_sessions import notebook_handle, wait_for, wait_progress_history
from test_z_quit import alive, app_pid

LIB_TESTKIT = "/usr/lib/backend-ai-launcher/bai-testkit"
INSTALL_TIMEOUT = float(os.environ.get("DEB_JUPYTER_INSTALL_TIMEOUT", "600"))


def demo_servers(parent: int) -> list[int]:
    """The packaged demo servers whose parent is the app."""
    out = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "exe") != LIB_TESTKIT:
                continue
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent:
            out.append(int(proc.name))
    return out


def test_a_without_jupyterlab_the_demo_says_what_to_install(app):
    app.find("[data-testid=profiles-empty]", text="No profiles yet")
    app.click("[data-testid=try-demo]")
    commands = app.find("[data-testid=demo-install-commands]", timeout=30).text
    assert "python3 -m venv " in commands and "/demo-jupyter" in commands, commands
    assert "/bin/pip install jupyterlab" in commands, commands
    explanation = app.find("[data-testid=demo-explanation]").text
    assert "JupyterLab" in explanation and "not installed" in explanation, explanation
    # The install is offered, not done: nothing happens without the user's go-ahead.
    assert app.find("[data-testid=install-jupyter]").is_enabled()
    assert app.absent("[data-testid=demo-install-status]")
    assert app.absent("[data-testid=profile-item]"), "a Demo profile without a demo"
    text = app.page_text()
    for word in ("cargo", "bai-testkit", "BAI_"):
        assert word not in text, f"{word!r} is shown to a desktop user"
    app.shot("demo-needs-jupyterlab")
    assert not demo_servers(app_pid()), "a demo server started without JupyterLab"


def test_b_installing_jupyterlab_on_request_then_the_demo_reaches_a_notebook(app):
    d = app.driver
    app.click("[data-testid=install-jupyter]")
    app.find("[data-testid=demo-install-status]", text="installing JupyterLab", timeout=60)
    app.find("[data-testid=demo-install-log]", text="jupyterlab", timeout=120)
    app.shot("demo-installing-jupyterlab")

    def demo_profile_or_failure():
        if not app.absent("[data-testid=demo-install-error]"):
            return "failed"
        return not app.absent("[data-testid=profile-item][data-name=Demo]") and "demo"

    got = wait_for("the install and the demo", demo_profile_or_failure, INSTALL_TIMEOUT, app)
    if got == "failed":
        app.shot("demo-install-failed")
        raise AssertionError(
            "the JupyterLab install failed: " + app.find("[data-testid=demo-install-error]").text
        )
    app.find("[data-testid=detail-name]", text="Demo", timeout=30)
    assert len(demo_servers(app_pid())) == 1, "one packaged demo server runs"

    # Quick start launches the default profile's notebook.
    if not app.absent("[data-testid=set-default]"):
        app.click("[data-testid=set-default]")
    app.find("[data-testid=detail-name]", text="default")
    wait_for("Quick start to be enabled", lambda: app.find("[data-testid=quick-start]").is_enabled(), 10, app)
    launcher = d.current_window_handle
    app.click("[data-testid=quick-start]")
    history = wait_progress_history(app, timeout=180)
    assert app.find("[data-testid=launch-progress]").get_attribute("data-phase") == "ready", history

    notebook = notebook_handle(app, launcher, timeout=60)
    wait_for(
        "JupyterLab",
        lambda: d.execute_script(
            "return !!document.querySelector('#jp-main-dock-panel')"
            " && !document.querySelector('#jupyterlab-splash')"
        ),
        120,
        app,
    )
    assert "Jupyter" in d.title, d.title
    app.shot("demo-notebook-window")
    d.switch_to.window(launcher)


def test_c_quitting_the_app_stops_the_packaged_demo_server(app):
    pid = app_pid()
    servers = demo_servers(pid)
    assert len(servers) == 1, servers
    os.kill(pid, 15)
    deadline = time.monotonic() + 20
    while alive(servers[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(servers[0]), "the demo server outlived the app"
