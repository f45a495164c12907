"""Runs after the session tests and before quitting (file order): start at login set from
Settings, and the launcher window's close button, which closes the window (its WebKit process
ends) and keeps the app in the tray, with a notice the first time, until a second start opens
the window again. The WebDriver session ends with that window, so this file comes last but for
quitting."""

import os
import pathlib
import subprocess
import time

from Xlib import X, display, protocol

from test_sessions import app_log, wait_for
from test_z_quit import alive, app_pid

AUTOSTART = pathlib.Path.home() / ".config" / "autostart"
TITLE = "Backend.AI Launcher"


def autostart_entries() -> list[pathlib.Path]:
    """The XDG autostart entries that start this app binary."""
    if not AUTOSTART.is_dir():
        return []
    want = os.environ["E2E_APP"]
    return [p for p in AUTOSTART.glob("*.desktop") if want in p.read_text(errors="replace")]


def settings_text() -> str:
    return (pathlib.Path(os.environ["BAI_CONFIG_DIR"]) / "settings.toml").read_text()


def open_settings(app):
    if app.absent("[data-testid=settings-panel]"):
        app.click("[data-testid=open-settings]")
    app.find("[data-testid=settings-panel]")


def test_a_start_at_login_is_set_from_settings(app):
    assert not autostart_entries(), f"an autostart entry is left from an earlier run: {autostart_entries()}"
    try:
        open_settings(app)
        app.click("[data-testid=start-at-login]")
        app.click("[data-testid=save-settings]")
        entries = wait_for("the autostart entry", autostart_entries, 10, app)
        text = entries[0].read_text()
        # Started at login, the app waits in the tray.
        assert f"Exec={os.environ['E2E_APP']} --minimized" in text, text
        # The entry is written before the settings file: wait for both.
        wait_for("the setting saved", lambda: "start-at-login = true" in settings_text(), 10, app)
        app.shot("start-at-login-on")
        open_settings(app)
        app.click("[data-testid=start-at-login]")
        app.click("[data-testid=save-settings]")
        wait_for("the autostart entry removed", lambda: not autostart_entries(), 10, app)
        wait_for("the setting saved", lambda: "start-at-login = false" in settings_text(), 10, app)
    finally:
        for p in autostart_entries():
            p.unlink()


def launcher_windows(d) -> list:
    """The launcher's top-level X windows (by their title)."""
    root = d.screen().root
    wm_name = d.intern_atom("_NET_WM_NAME")
    utf8 = d.intern_atom("UTF8_STRING")
    found, stack = [], [root]
    while stack:
        w = stack.pop()
        try:
            name = w.get_full_property(wm_name, utf8)
            title = name.value.decode() if name else (w.get_wm_name() or "")
            if title == TITLE and w.get_wm_protocols() and w.get_attributes().map_state == X.IsViewable:
                found.append(w)
            stack.extend(w.query_tree().children)
        except Exception:  # a window that went away meanwhile
            continue
    return found


def web_processes(pid: int) -> int:
    """WebKit's web processes the app has started and that still run."""
    count = 0
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid and "WebKitWebProces" in stat:
                count += 1
        except (OSError, ValueError, IndexError):
            continue
    return count


def test_b_the_close_button_keeps_the_app_in_the_tray(app):
    pid = app_pid()
    d = display.Display()
    shown = launcher_windows(d)
    assert len(shown) == 1, f"one launcher window is shown: {shown}"
    before = web_processes(pid)
    assert before >= 1, "the launcher has its web process"
    # What a window manager sends when the user clicks the close button.
    w = shown[0]
    delete = d.intern_atom("WM_DELETE_WINDOW")
    event = protocol.event.ClientMessage(
        window=w, client_type=d.intern_atom("WM_PROTOCOLS"), data=(32, [delete, X.CurrentTime, 0, 0, 0])
    )
    w.send_event(event)
    d.flush()
    wait_for("the window gone", lambda: not launcher_windows(d), 10)
    log = wait_for("the notice", lambda: (lambda l: "is still running" in l and l)(app_log()), 10)
    assert "the app stays in the tray" in log
    assert "tray-notice-shown = true" in settings_text()
    wait_for("its web process gone", lambda: web_processes(pid) < before, 10)
    time.sleep(1)
    assert alive(pid), "closing the window quit the app"

    # A second start opens the running app's window instead of starting another app.
    second = subprocess.run([os.environ["E2E_APP"]], env=os.environ.copy(), timeout=30, capture_output=True)
    assert second.returncode == 0, second.stderr[-2000:]
    wait_for("the window open again", lambda: len(launcher_windows(d)) == 1, 15)
    assert alive(pid) and app_pid() == pid, "one app, the same one"
