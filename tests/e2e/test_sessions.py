"""Phase-2 E2E: a keypair profile against a testkit with a real JupyterLab behind it, Quick
start with its progress view, the notebook window (JupyterLab loaded, a cell `1+1` gives `2`,
no access to the app's IPC), Terminate from the launcher, the launch form, a session ended
remotely (list update + notification), and an unreachable cluster. Runs after
test_launcher.py in the same app session (file order)."""

import json
import os
import pathlib
import re
import subprocess
import time
import urllib.request

import pytest
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from test_launcher import add_keypair_profile

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jupyter_kit():
    """A testkit whose sessions run a real JupyterLab, with each status held long enough for
    the progress view to show it."""
    jupyter = os.environ.get("E2E_JUPYTER", "")
    if not os.access(jupyter, os.X_OK):
        pytest.fail(f"E2E_JUPYTER={jupyter!r} is not executable: run scripts/python-env.sh jupyter")
    env = dict(os.environ, BAI_TESTKIT_JUPYTER=jupyter)
    proc = subprocess.Popen(
        [os.environ["E2E_TESTKIT"], "--jupyter", "auto"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            pytest.fail(f"bai-testkit exited without its ready line (exit {proc.poll()})")
        info = json.loads(line)
        info["proc"] = proc
        control(info, "schedule", {"dwell_ms": 700})
        yield info
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def control(kit, path: str, body: dict):
    req = urllib.request.Request(
        f"{kit['manager_url'].rstrip('/')}/__testkit/{path}",
        data=json.dumps(body).encode(),
        # The control API needs the token from the testkit's ready line.
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {kit['control_token']}"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 200, f"/__testkit/{path}: {r.status}"


def commands() -> list[str]:
    text = (ROOT / "src-tauri/src/commands/names.rs").read_text()
    return re.findall(r'^\s*"([a-z_]+)",', text, re.M)


def app_log() -> str:
    d = pathlib.Path(os.environ["E2E_LOG_DIR"])
    return "\n".join(p.read_text(errors="replace") for p in sorted(d.glob("*")) if p.is_file())


def wait_for(what: str, check, timeout: float = 20.0, app=None):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            if app is not None:
                app.shot("timeout-" + re.sub(r"[^a-z]+", "-", what))
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def wait_progress_history(app, timeout: float = 120.0) -> str:
    """Follow the progress view until the launch ends; returns the phases/statuses it showed."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        el = app.find("[data-testid=launch-progress]")
        phase = el.get_attribute("data-phase")
        status = app.find("[data-testid=launch-status]").text.strip()
        step = f"{phase}:{status}"
        if not seen or seen[-1] != step:
            seen.append(step)
            if len(seen) == 3:
                app.shot("launch-progress")
        if phase in ("ready", "failed", "cancelled"):
            break
        time.sleep(0.1)
    history = app.find("[data-testid=launch-history]").text
    return history + " | polled: " + " ".join(seen)


# A tunnel listens on its own loopback address (127.x.y.z where the OS allows, else 127.0.0.1).
TUNNEL_URL = re.compile(r"^http://127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+/")


def notebook_handle(app, launcher_handle: str, timeout: float = 30.0, skip=()) -> str:
    """The window handle of a notebook window (one whose page is on a local tunnel), other
    than the launcher and those in `skip`."""
    d = app.driver

    def find():
        for h in d.window_handles:
            if h == launcher_handle or h in skip:
                continue
            d.switch_to.window(h)
            if TUNNEL_URL.match(d.current_url):
                return h
        d.switch_to.window(launcher_handle)
        return None

    return wait_for("a notebook window", find, timeout)


# --- JupyterLab helpers (run in the notebook window) ---

def click_when_stable(app, css: str, what: str, timeout: float):
    d = app.driver
    deadline = time.monotonic() + timeout
    while True:
        try:
            d.find_element(By.CSS_SELECTOR, css).click()
            return
        except (
            NoSuchElementException,  # the notebook is still opening
            StaleElementReferenceException,
            ElementNotInteractableException,
            ElementClickInterceptedException,
        ) as e:
            last = e
        if time.monotonic() > deadline:
            app.shot("timeout-" + re.sub(r"[^a-z]+", "-", what))
            raise AssertionError(f"could not click {what} within {timeout}s: {last!r}")
        time.sleep(0.3)


# The kernel status as the status bar shows it ("Python 3 (ipykernel) | Idle" gives "Idle"),
# or null while it shows none.
KERNEL_STATUS = """
for (const t of document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')) {
  const m = /^.+\\|\\s*(\\S.*)$/.exec(t.textContent.trim());
  if (m && (t.title || '').startsWith('Change kernel')) return m[1];
}
return null;
"""


TRY_IPC = """
const [names, done] = [arguments[0], arguments[arguments.length - 1]];
const internals = window.__TAURI_INTERNALS__;
if (!internals || typeof internals.invoke !== "function") { done({absent: true}); return; }
Promise.all(names.map(n => internals.invoke(n, {}).then(
  v => ({name: n, ok: true, value: JSON.stringify(v)}),
  e => ({name: n, ok: false, error: String(e && e.message || e)})))).then(r => done({results: r}));
"""


def test_h_quick_start_opens_jupyterlab_and_a_cell_runs(app, jupyter_kit):
    d = app.driver
    add_keypair_profile(
        app, "Jupyter", jupyter_kit["manager_url"], jupyter_kit["access_key"], jupyter_kit["secret_key"]
    )
    app.click("[data-testid=save-profile]")
    app.find("[data-testid=detail-name]", text="Jupyter")
    app.click("[data-testid=set-default]")
    app.find("[data-testid=detail-name]", text="default")
    app.find("[data-testid=sessions-empty]")
    launcher = d.current_window_handle

    app.click("[data-testid=quick-start]")
    history = wait_progress_history(app)
    app.shot("launch-ready")
    assert app.find("[data-testid=launch-progress]").get_attribute("data-phase") == "ready", history
    # "creating" (one POST) is usually over before the view mounts; the rest must be seen.
    # The view names the steps in plain words (ui/src/format.ts phaseLabel), never raw ids.
    for step in ("Waiting for it to start (PENDING)", "Waiting for it to start (PREPARING)",
                 "RUNNING", "Ready"):
        assert step in history, f"{step} was not shown: {history}"
    for raw in ("opening_tunnel", "picking_app"):
        assert raw not in history.split(" | ")[0], f"a raw step name was shown: {history}"
    app.find("[data-testid=launch-ready]", text="jupyterlab")

    notebook = notebook_handle(app, launcher)
    # JupyterLab's shell rendered through the tunnel.
    wait_for(
        "JupyterLab",
        lambda: d.execute_script(
            "return !!document.querySelector('#jp-main-dock-panel')"
            " && !document.querySelector('#jupyterlab-splash')"
        ),
        60,
        app,
    )
    assert d.title.startswith("JupyterLab") or "Jupyter" in d.title, d.title
    # JupyterLab needs a writable Object.prototype: the launcher freezes it only on its own page.
    assert not d.execute_script("return Object.isFrozen(Object.prototype)")
    app.shot("notebook-jupyterlab")

    specs = d.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/kernelspecs').then(r => r.text()).then(done, e => done(String(e)));"
    )
    assert '"python3"' in specs, f"JupyterLab offers no Python kernel: {specs[:500]}"
    # A new notebook from JupyterLab's own launcher, on the tab shown (JupyterLab opens its
    # launcher itself once its layout is restored; a "+" pressed before that makes a second
    # one, and the first then sits on a hidden tab). "+" only if none has come by itself.
    card = ".jp-Launcher:not(.lm-mod-hidden) .jp-LauncherCard[data-category='Notebook']"
    found = lambda: d.execute_script(f"return document.querySelector(\"{card}\")")
    try:
        wait_for("JupyterLab's own launcher", found, 15)
    except AssertionError:
        d.execute_script("document.querySelector('[data-command=\"launcher:create\"], .jp-FileBrowser-toolbar button').click()")
    try:
        wait_for("the notebook card", found, 20, app)
    except AssertionError:
        diag = d.execute_script(
            "return performance.getEntriesByType('resource').filter(e => (e.responseStatus||200) >= 400 || e.transferSize === 0 && e.decodedBodySize === 0).map(e => e.name + ' ' + (e.responseStatus||'?')).slice(0, 20)"
        )
        raise AssertionError(f"no Notebook card; suspicious resources: {diag}")
    # The card can exist before it is laid out and clickable.
    click_when_stable(app, card, "the notebook card", 20)
    # JupyterLab skips a cell run while the notebook's kernel is still starting (CodeCell.execute
    # returns when the session has no kernel yet: the prompt stays "[ ]"), so wait, as a person
    # does, until the status bar says "Python 3 (ipykernel) | Idle". Not the toolbar's
    # execution indicator: its data-status starts as "idle" before any kernel exists.
    wait_for(
        "the kernel to be idle",
        lambda: d.execute_script(KERNEL_STATUS) == "Idle",
        90,
        app,
    )
    # JupyterLab re-renders the first cell while the notebook starts, so the editor is looked
    # up afresh until a click on it lands.
    click_when_stable(app, ".jp-Notebook .jp-Cell .cm-content", "a notebook cell", 60)
    ActionChains(d).send_keys("1+1").key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    first_output = (
        "const o=document.querySelector('.jp-Cell .jp-OutputArea-output');return o&&o.textContent.trim();"
    )
    # One run, as a person clicks once: the answer must come from it.
    try:
        out = wait_for("the cell output", lambda: d.execute_script(first_output), 60, app)
    except AssertionError:
        prompt = d.execute_script("return document.querySelector('.jp-Cell .jp-InputPrompt').textContent.trim()")
        source = d.execute_script("return document.querySelector('.jp-Cell .cm-content').textContent")
        raise AssertionError(
            f"1+1 ran once and gave no output (prompt {prompt!r}, cell {source!r}, "
            f"kernel {d.execute_script(KERNEL_STATUS)!r})"
        )
    assert out == "2", f"1+1 gave {out!r}"
    app.shot("notebook-cell-output")

    # The notebook's page cannot reach the app: every command fails.
    names = commands()
    assert "quick_start" in names and "terminate_session" in names, names
    answer = d.execute_async_script(TRY_IPC, names)
    if not answer.get("absent"):
        for r in answer["results"]:
            assert not r["ok"], f"{r['name']} succeeded from a notebook window: {r}"
            assert "not allowed" in r["error"] or "not found" in r["error"], r
    d.switch_to.window(launcher)


# A link added to the notebook page, for a click as a person makes it.
ADD_LINK = """
const [id, href] = arguments;
const a = document.createElement('a');
a.id = id; a.href = href; a.target = '_blank'; a.textContent = 'e2e link ' + id;
a.style.cssText = 'position:fixed;top:8px;left:8px;z-index:2147483647;padding:8px;background:#ff0;';
document.body.appendChild(a);
"""


def opened_externally() -> list[str]:
    """What the app handed to the system browser (tests/e2e/session.sh records it)."""
    f = pathlib.Path(os.environ["E2E_OUT"]) / "opened.txt"
    return f.read_text().split() if f.exists() else []


def test_h2_links_in_a_notebook_open_after_a_click_only(app, jupyter_kit):
    d = app.driver
    launcher = d.current_window_handle
    notebook = notebook_handle(app, launcher)
    origin = TUNNEL_URL.match(d.current_url).group(0)

    # A frame that loads another site by itself: refused, and no system browser opens.
    d.execute_script(
        "const f = document.createElement('iframe');"
        "f.src = 'https://frame.example.invalid/e2e'; document.body.appendChild(f);"
    )
    refused = lambda: any(
        "notebook navigation refused" in line and "frame.example.invalid" in line
        for line in app_log().splitlines()
    )
    wait_for("the frame to be refused", refused, 15, app)
    time.sleep(1)
    assert not any("frame.example.invalid" in u for u in opened_externally()), opened_externally()
    assert TUNNEL_URL.match(d.current_url), d.current_url

    # A target=_blank link to the tunnel's origin, clicked: another notebook window of the
    # same session (JupyterLab's "open in a new browser tab").
    d.execute_script(ADD_LINK, "e2e-same", origin + "lab?e2e-popup=1")
    d.find_element(By.ID, "e2e-same").click()
    popup = notebook_handle(app, launcher, skip=(notebook,))
    assert d.current_url.startswith(origin), d.current_url
    wait_for(
        "JupyterLab in the new window",
        lambda: d.execute_script("return !!document.querySelector('#jp-main-dock-panel')"),
        60,
        app,
    )
    app.shot("notebook-popup-window")
    # Not the last window of its session: it just closes.
    d.close()
    d.switch_to.window(notebook)

    # A target=_blank link to the web, clicked: the system browser gets it.
    d.execute_script(ADD_LINK, "e2e-ext", "https://docs.example.invalid/e2e?x=1")
    d.find_element(By.ID, "e2e-ext").click()
    wait_for(
        "the system browser to be asked",
        lambda: "https://docs.example.invalid/e2e?x=1" in opened_externally(),
        15,
        app,
    )
    assert TUNNEL_URL.match(d.current_url), d.current_url
    assert popup not in d.window_handles
    d.execute_script(
        "for (const id of ['e2e-same', 'e2e-ext']) document.getElementById(id)?.remove();"
    )
    d.switch_to.window(launcher)


def test_i_idle_deadline_warning_keep_alive_then_terminate(app, jupyter_kit):
    d = app.driver
    app.click("[data-testid=launch-back]")
    row = "[data-testid=session-row][data-name=quick-start]"
    app.find(row)
    app.find("[data-testid=session-status]", text="RUNNING")
    app.shot("sessions-running")

    # The cluster's idle checkers: an hour of network idle and an hour's lifetime; 55 minutes
    # pass for them. The open notebook is in use (its connections count), the lifetime runs out.
    control(jupyter_kit, "idle-policy", {"network_timeout_secs": 3600, "session_lifetime_secs": 3600})
    control(jupyter_kit, "idle-clock", {"ahead_secs": 0})
    shown = app.find("[data-testid=session-idle]", text="session lifetime", timeout=20).text
    # The lifetime counts from the session's start: move the checkers' clock to 400 s before
    # its end, from what the row shows.
    parts = {u: int(n) for n, u in re.findall(r"(\d+) (h|min|s)\b", shown)}
    left = parts.get("h", 0) * 3600 + parts.get("min", 0) * 60 + parts.get("s", 0)
    assert 3000 < left <= 3600, shown
    control(jupyter_kit, "idle-clock", {"ahead_secs": left - 400})
    wait_for(
        "the row to show the last minutes",
        lambda: re.search(r"Ends in (5|6) min", app.find("[data-testid=session-idle]").text),
        20,
        app,
    )
    notice = app.find("[data-testid=idle-notice]", timeout=20)
    assert "Nothing extends" in notice.text, notice.text
    assert app.absent("[data-testid=idle-keep-alive]"), "a lifetime cannot be kept alive"
    log = wait_for("the desktop notification", lambda: (lambda l: "idle warning" in l and l)(app_log()), 15)
    assert "quick-start" in log
    app.shot("idle-warning")
    # The row still offers Keep alive (traffic resets the network checker) and it works.
    app.click("[data-testid=keep-alive]")
    wait_for("the keep-alive", lambda: "kept alive with app traffic" in app_log(), 20)
    control(jupyter_kit, "idle-policy", {})
    control(jupyter_kit, "idle-clock", {"ahead_secs": 0})
    wait_for("the deadline to go", lambda: app.absent("[data-testid=session-idle]"), 20)
    before = len(d.window_handles)
    app.click("[data-testid=terminate-session]")
    app.shot("terminate-confirm")
    app.click("[data-testid=confirm-terminate]")
    wait_for("the session to leave the list", lambda: app.absent(row), 30)
    app.find("[data-testid=sessions-empty]")
    wait_for("the notebook window to close", lambda: len(d.window_handles) == before - 1, 15)
    app.shot("session-terminated")


def test_j_launch_form_then_a_remote_end_notifies(app, jupyter_kit):
    d = app.driver
    launcher = d.current_window_handle
    app.click("[data-testid=new-session]")
    app.find("[data-testid=launch-form]")
    app.find("[data-testid=launch-image] option")
    app.type("[data-testid=launch-name]", "e2e-form")
    app.shot("launch-form")
    app.click("[data-testid=launch-submit]")
    history = wait_progress_history(app)
    assert app.find("[data-testid=launch-progress]").get_attribute("data-phase") == "ready", history
    notebook = notebook_handle(app, launcher)
    d.switch_to.window(launcher)
    app.click("[data-testid=launch-back]")
    app.find("[data-testid=session-row][data-name=e2e-form]")

    control(jupyter_kit, "terminate", {"session": "e2e-form"})
    wait_for(
        "the list to drop the ended session",
        lambda: app.absent("[data-testid=session-row][data-name=e2e-form]"),
        30,
    )
    log = wait_for("the notification", lambda: (lambda l: "notification sent" in l and "e2e-form ended" in l and l)(app_log()), 15)
    assert "SessionEnded" in log
    # Its window now shows the bundled status page, not a blank or broken page.
    d.switch_to.window(notebook)
    wait_for("the status page", lambda: "ended" in d.title, 15)
    assert d.execute_script("return document.getElementById('title').textContent").startswith("e2e-form")
    app.shot("notebook-session-ended")
    d.close()
    d.switch_to.window(launcher)
    app.shot("session-ended-remotely")


def test_k_an_unreachable_cluster_is_reported_and_the_app_keeps_working(app, jupyter_kit):
    proc = jupyter_kit["proc"]
    proc.terminate()
    proc.wait(timeout=15)
    err = app.find("[data-testid=sessions-error]", timeout=30)
    assert "unreachable" in err.text, err.text
    code = app.find("[data-testid=error-code]").text
    assert code in ("connection-refused", "network", "timeout"), code
    app.shot("cluster-unreachable")
    # The app keeps working: other views and profiles still answer.
    app.click("[data-testid=open-settings]")
    app.find("[data-testid=settings-panel]")
    app.click("[data-testid=profile-item][data-name=Demo]")
    app.find("[data-testid=detail-name]", text="Demo")
    app.find("[data-testid=sessions-empty]", timeout=30)
    app.shot("other-profile-works")
