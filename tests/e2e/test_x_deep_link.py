"""backendai-launcher: links opened with the real `xdg-open`, as a browser or a chat client
would: the running app (the one under WebDriver) comes forward on the named session, and a
hostile link (unknown profile, an extra `endpoint=`) is refused with a message. Runs after the
session tests and before test_y_tray.py, which closes the launcher window (file order).

The debug build registers itself as this user's handler of the scheme at start (the deep-link
plugin's `register_all`: a desktop entry in ~/.local/share/applications and `xdg-mime
default`); test_a checks that. Its entry quotes the binary's path (`Exec="/path" %u`), which
Debian 12's xdg-open (xdg-utils 1.1.3) cannot run (fixed in 1.2), so the links are then opened
through an entry written the way the package's is (`Exec=<binary> %u`, the MimeType that
scripts/check-deb.sh checks), made the default with `xdg-mime default` as a package install
does."""

import datetime
import hashlib
import hmac
import json
import os
import pathlib
import subprocess
import urllib.parse
import urllib.request
import warnings

import pytest

from test_launcher import add_keypair_profile
from test_sessions import app_log, wait_for

# The real one: tests/e2e/session.sh puts a recording stub named xdg-open first on PATH.
XDG_OPEN = "/usr/bin/xdg-open"
SCHEME = "backendai-launcher"
PROFILE = "Linked"
SESSION = "linked-notebook"


def signed(kit: dict, method: str, path: str, body: dict | None = None) -> dict:
    """A request to the testkit's manager, signed as the official client signs
    (../shared/backendai-api.md §1.2)."""
    base = kit["manager_url"].rstrip("/")
    with urllib.request.urlopen(base + "/", timeout=10) as r:
        version = json.load(r)["version"]
    host = urllib.parse.urlsplit(base).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    date = now.isoformat()
    content_type = "application/json" if body is not None else "text/plain"
    to_sign = "\n".join([
        method, path, date, f"host:{host}", f"content-type:{content_type}",
        f"x-backendai-version:{version}", hashlib.sha256(b"").hexdigest(),
    ])
    k1 = hmac.new(kit["secret_key"].encode(), now.strftime("%Y%m%d").encode(), hashlib.sha256).digest()
    k2 = hmac.new(k1, host.encode(), hashlib.sha256).digest()
    signature = hmac.new(k2, to_sign.encode(), hashlib.sha256).hexdigest()
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Date": date,
            "Content-Type": content_type,
            "X-BackendAI-Version": version,
            "X-BackendAI-Domain": "default",
            "Authorization": f"BackendAI signMethod=HMAC-SHA256, credential={kit['access_key']}:{signature}",
        },
    )
    with urllib.request.urlopen(req, timeout=20) as r:
        return json.load(r)


def xdg_open(link: str):
    """Open `link` as the desktop does. The app started for it hands it to the running app and
    exits; what the running app shows is what the tests check. That second process has been
    seen to crash once while exiting, after it had handed the link over (`std::process::exit`
    in the single-instance plugin, under heavy load; not reproduced in 30 direct tries): that
    is reported as a warning, not taken for a refused link."""
    r = subprocess.run([XDG_OPEN, link], env=os.environ.copy(), timeout=60, capture_output=True, text=True)
    if r.returncode != 0:
        warnings.warn(f"xdg-open {link!r}: exit {r.returncode}: {r.stderr[-500:]!r}")


def banner(app, text: str) -> str:
    return app.find("[data-testid=error-message]", timeout=20, text=text).text


@pytest.fixture(scope="module")
def handler():
    """This app as the scheme's handler, by an entry like the package's desktop entry."""
    exe = os.environ["E2E_APP"]
    assert " " not in exe, "an Exec without quotes needs a path without spaces"
    apps = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "bai-launcher-e2e.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Backend.AI Launcher\n"
        f"Exec={exe} %u\nTerminal=false\nNoDisplay=true\n"
        f"MimeType=x-scheme-handler/{SCHEME};\n"
    )
    subprocess.run(
        ["xdg-mime", "default", "bai-launcher-e2e.desktop", f"x-scheme-handler/{SCHEME}"], check=True
    )
    return exe


@pytest.fixture(scope="module")
def linked(app, testkit, handler):
    """The profile "Linked" with a running session "linked-notebook"."""
    signed(testkit, "POST", "/session", {
        "name": SESSION, "image": "cr.backend.ai/stable/python:3.9-ubuntu20.04", "enqueueOnly": True,
    })
    add_keypair_profile(app, PROFILE, testkit["manager_url"], testkit["access_key"], testkit["secret_key"])
    app.click("[data-testid=save-profile]")
    app.find(f"[data-testid=profile-item][data-name={PROFILE}]")
    # Away from it, so that the link is what brings it back.
    app.click("[data-testid=open-settings]")
    app.find("[data-testid=settings-panel]")
    return testkit


def test_a_the_debug_build_registered_the_scheme(app):
    handler = wait_for(
        "the scheme handler registered",
        lambda: subprocess.run(
            ["xdg-mime", "query", "default", f"x-scheme-handler/{SCHEME}"], capture_output=True, text=True
        ).stdout.strip(),
        10,
    )
    entry = pathlib.Path(os.environ["XDG_DATA_HOME"]) / "applications" / handler
    text = entry.read_text()
    assert f"MimeType=x-scheme-handler/{SCHEME}" in text, text
    assert os.environ["E2E_APP"] in text and "%u" in text, text


def test_b_an_open_link_focuses_the_running_app_on_the_session(app, linked):
    xdg_open(f"{SCHEME}://open?profile={PROFILE}&session={SESSION}")
    app.find("[data-testid=detail-name]", text=PROFILE)
    row = app.find(f"[data-testid=session-row][data-selected][data-name={SESSION}]", timeout=30)
    assert row.get_attribute("aria-selected") == "true"
    app.shot("deep-link-open")
    assert app.absent("[data-testid=error-banner]")
    log = app_log()
    assert "deep link accepted" in log
    assert f"{SCHEME}://open?profile=…&session=…" in log
    assert SESSION not in [line for line in log.splitlines() if "deep link" in line], "values not logged"


def test_c_hostile_links_are_refused_with_a_message(app, linked):
    xdg_open(f"{SCHEME}://open?profile=Nobody&session={SESSION}")
    text = banner(app, "no profile named")
    assert "the link was refused" in text and "Nobody" in text, text
    assert app.find("[data-testid=error-code]").text == "link-refused"
    app.shot("deep-link-unknown-profile")

    xdg_open(f"{SCHEME}://open?profile={PROFILE}&session={SESSION}&endpoint=https%3A%2F%2Fevil.example")
    text = banner(app, "endpoint")
    assert "may not set" in text and "evil" not in text, text
    app.shot("deep-link-endpoint-refused")

    log = app_log()
    assert log.count("deep link refused") >= 2, "each refusal is logged"
    assert "evil.example" not in log and "Nobody" not in log, "a refused link's values are not logged"
    # Nothing a link said became a profile.
    profiles = (pathlib.Path(os.environ["BAI_CONFIG_DIR"]) / "profiles.toml").read_text()
    assert "evil" not in profiles and "Nobody" not in profiles

    # A good link again clears the refusal and selects the session.
    xdg_open(f"{SCHEME}:open?profile={PROFILE}&session={SESSION}")
    wait_for("the banner cleared", lambda: app.absent("[data-testid=error-banner]"), 20, app)
    app.find(f"[data-testid=session-row][data-selected][data-name={SESSION}]")
