"""The official Backend.AI SDK (backend.ai-client 26.9.6, in-process) against our testkit.

Whatever the SDK sends must be accepted: HMAC-signed calls to the manager (version probe,
session create with enqueue_only, info, the paginated GraphQL listing, destroy) and the
webserver's login-session mode (login with the SDK's AES-encoded body over plain http, then
manager calls through /func). The official `backend.ai` CLI from the same package is run as
a process too (`ps`, `session list`), since README calls the demo Backend.AI-compatible. On
failure the message shows what the SDK got back and the requests the testkit recorded, so a
testkit bug can be pinned down from the log alone.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ai.backend.client.config import API_VERSION, APIConfig
from ai.backend.client.exceptions import BackendAPIError
from ai.backend.client.output.fields import session_fields
from ai.backend.client.session import Session

IMAGE = "cr.backend.ai/stable/python:3.9-ubuntu20.04"
READY_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def testkit_proc(testkit_bin: Path, tmp_path_factory) -> Iterator[dict]:
    """Runs `bai-testkit --jupyter off` and yields its ready line (manager_url, ...)."""
    log = tmp_path_factory.mktemp("testkit") / "stderr.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(
            [str(testkit_bin), "--jupyter", "off"],
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        line = _read_ready_line(proc)
        if line is None:
            pytest.fail(
                f"{testkit_bin} printed no ready line within {READY_TIMEOUT_S}s "
                f"(exit code {proc.poll()}); its stderr:\n{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            info = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"the testkit's ready line is not JSON: {line!r}")
        missing = {
            "manager_url", "webserver_url", "access_key", "secret_key", "email", "password", "control_token"
        } - info.keys()
        assert not missing, f"the testkit's ready line lacks {sorted(missing)}: {line}"
        yield info
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def control_request(testkit: dict, path: str, method: str = "GET") -> urllib.request.Request:
    """A request to the testkit's control API, which needs the ready line's control token."""
    return urllib.request.Request(
        f"{testkit['manager_url']}/__testkit/{path}",
        headers={"Authorization": f"Bearer {testkit['control_token']}"},
        method=method,
    )


@pytest.fixture
def testkit(testkit_proc: dict) -> dict:
    """The running testkit, with its request log cleared so failures show this test's requests."""
    req = control_request(testkit_proc, "requests", method="DELETE")
    try:
        urllib.request.urlopen(req, timeout=5).close()
    except urllib.error.URLError:
        pass  # only the failure messages lose context
    return testkit_proc


def _read_ready_line(proc: subprocess.Popen) -> str | None:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + READY_TIMEOUT_S
    buf = b""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(timeout=left):
            return None
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            return None
        buf += chunk
    return buf.split(b"\n", 1)[0].decode()


@pytest.fixture(autouse=True)
def isolated_sdk_env(tmp_path, monkeypatch):
    """The SDK reads BACKEND_* variables and, in session mode, loads cookies from
    ~/.local/state/backend.ai/cookie.dat before each request: keep the developer's own out."""
    for key in list(os.environ):
        if key.startswith("BACKEND_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def recorded_requests(testkit: dict, last: int = 8) -> str:
    """The testkit's view of the last requests (method, path, via, headers), for messages."""
    try:
        with urllib.request.urlopen(control_request(testkit, "requests"), timeout=5) as r:
            reqs = json.load(r)
    except Exception as e:  # the message must still be produced if the control API is broken
        return f"(could not read /__testkit/requests: {e})"
    return "\n".join(json.dumps(r, sort_keys=True) for r in reqs[-last:])


def sdk_call(testkit: dict, what: str, fn: Callable):
    """Runs one SDK call; a rejection fails the test with what the SDK got and what was sent."""
    try:
        return fn()
    except BackendAPIError as e:
        got = f"HTTP {e.status} {e.reason}\nresponse body: {json.dumps(e.data)}"
    except Exception as e:
        got = f"{type(e).__name__}: {e}"
    # Failing outside the except block keeps the SDK's internal traceback out of the report.
    pytest.fail(
        f"the SDK's {what} was not accepted: {got}\n"
        f"requests the testkit recorded:\n{recorded_requests(testkit)}",
        pytrace=False,
    )


def api_config(testkit: dict) -> APIConfig:
    return APIConfig(
        endpoint=testkit["manager_url"],
        endpoint_type="api",
        access_key=testkit["access_key"],
        secret_key=testkit["secret_key"],
    )


def kit_status(testkit: dict, name: str) -> str | None:
    try:
        with urllib.request.urlopen(control_request(testkit, f"session/{name}"), timeout=5) as r:
            return json.load(r).get("status")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def wait_for_status(testkit: dict, name: str, wanted: set[str], timeout_s: float = 10) -> str | None:
    deadline = time.monotonic() + timeout_s
    status = None
    while time.monotonic() < deadline:
        status = kit_status(testkit, name)
        if status in wanted:
            return status
        time.sleep(0.1)
    return status


def test_sdk_negotiates_the_api_version(testkit):
    with Session(config=api_config(testkit)) as s:
        negotiated = s.api_version
        hello = sdk_call(testkit, "GET / (hello)", s.ComputeSession.hello)
    server = hello["version"]
    major, date = server.lstrip("v").split(".")
    # The SDK uses min(server, client); the testkit plays a 26.9.6 manager (v9.20250722).
    assert server == "v9.20250722", hello
    assert negotiated == min((int(major), date), (int(API_VERSION[0]), API_VERSION[1]))


def test_sdk_session_lifecycle_with_keypair(testkit):
    name = f"conf-{uuid.uuid4().hex[:8]}"
    with Session(config=api_config(testkit)) as s:
        created = sdk_call(
            testkit,
            "session create (POST /session, enqueue_only)",
            lambda: s.ComputeSession.get_or_create(
                IMAGE, name=name, enqueue_only=True, resources={"cpu": 1, "mem": "1g"}
            ),
        )
        assert created.id is not None, "the create response had no sessionId"
        assert created.status in {"PENDING", "SCHEDULED", "PREPARING", "PULLING", "RUNNING"}, created.status
        assert kit_status(testkit, name) is not None, "the testkit does not know the new session"

        info = sdk_call(testkit, f"session info (GET /session/{created.id})", created.get_info)
        assert isinstance(info, dict) and info, info

        listing = sdk_call(
            testkit,
            "paginated session list (POST /admin/gql compute_session_list, default fields)",
            lambda: s.ComputeSession.paginated_list(),
        )
        ids = {str(item.get("session_id") or item.get("id")) for item in listing.items}
        assert str(created.id) in ids, f"our session {created.id} is not in the listing: {listing.items}"
        assert listing.total_count >= 1

        named = sdk_call(
            testkit,
            "paginated session list with name/status fields",
            lambda: s.ComputeSession.paginated_list(
                fields=[session_fields["id"], session_fields["name"], session_fields["status"]],
                page_size=50,
            ),
        )
        assert any(item.get("name") == name for item in named.items), named.items

        # Destroying a PENDING session cancels it (CANCELLED); a started one is terminated.
        assert wait_for_status(testkit, name, {"RUNNING"}) == "RUNNING"
        sdk_call(testkit, f"session destroy (DELETE /session/{created.id})", created.destroy)
    final = wait_for_status(testkit, name, {"TERMINATING", "TERMINATED"})
    assert final in {"TERMINATING", "TERMINATED"}, f"after destroy the testkit says {final}"


def session_config(testkit: dict) -> APIConfig:
    return APIConfig(endpoint=testkit["webserver_url"], endpoint_type="session")


def test_sdk_webserver_login_then_calls_through_func(testkit):
    name = f"conf-ws-{uuid.uuid4().hex[:8]}"
    with Session(config=session_config(testkit)) as s:
        # Before login the webserver must refuse manager calls: proves the cookie is what counts.
        with pytest.raises(BackendAPIError) as refused:
            s.ComputeSession.paginated_list()
        assert refused.value.status == 401, refused.value

        # The SDK AES-encodes the login body on plain-http endpoints (X-BackendAI-Encoded).
        login = sdk_call(
            testkit,
            "webserver login (POST /server/login, X-BackendAI-Encoded body)",
            lambda: s.Auth.login(testkit["email"], testkit["password"]),
        )
        assert login.get("authenticated") is True, (
            f"login answer: {login}\nrequests:\n{recorded_requests(testkit)}"
        )
        # aiohttp's cookie jar drops cookies from servers addressed by IP, so the official CLI
        # (`backend.ai login`, cli/config.py) copies the login cookies into the jar itself.
        s.aiohttp_session.cookie_jar.update_cookies(login["cookies"])

        listing = sdk_call(
            testkit, "session list through /func/admin/gql", lambda: s.ComputeSession.paginated_list()
        )
        assert listing.total_count >= 0
        created = sdk_call(
            testkit,
            "session create through /func/session",
            lambda: s.ComputeSession.get_or_create(IMAGE, name=name, enqueue_only=True),
        )
        assert wait_for_status(testkit, name, {"RUNNING"}) == "RUNNING"
        sdk_call(testkit, "session destroy through /func/session/<id>", created.destroy)
    assert wait_for_status(testkit, name, {"TERMINATING", "TERMINATED"}) in {"TERMINATING", "TERMINATED"}


def test_sdk_webserver_login_with_a_wrong_password_is_refused(testkit):
    with Session(config=session_config(testkit)) as s:
        try:
            answer = s.Auth.login(testkit["email"], testkit["password"] + "-wrong")
        except BackendAPIError as e:
            # The webserver answers 401 with authenticated:false; the SDK raises on the 401.
            assert e.status == 401, f"expected 401, got {e.status} {e.reason}: {e.data}"
            assert e.data.get("authenticated") is False or "type" in e.data, e.data
            return
        except Exception as e:
            answer = {"error": f"{type(e).__name__}: {e}"}
    assert answer.get("authenticated") is False, (
        f"a wrong password must give authenticated:false (JSON), got {answer}\n"
        f"requests the testkit recorded:\n{recorded_requests(testkit)}"
    )


# The console script the backend.ai-client package installs next to the venv's python.
OFFICIAL_CLI = Path(sys.executable).with_name("backend.ai")


def run_official_cli(testkit: dict, *args: str) -> subprocess.CompletedProcess:
    """Runs `backend.ai ARGS` against the testkit's manager with the keypair in BACKEND_*,
    the way a user of `bai demo` would after copying its `export` lines."""
    if not OFFICIAL_CLI.is_file():
        pytest.fail(f"{OFFICIAL_CLI} is missing; the SDK venv should provide it (scripts/python-env.sh sdk)")
    env = dict(os.environ)  # HOME and XDG_* already point at this test's tmp_path
    env.update(
        BACKEND_ENDPOINT=testkit["manager_url"],
        BACKEND_ENDPOINT_TYPE="api",
        BACKEND_ACCESS_KEY=testkit["access_key"],
        BACKEND_SECRET_KEY=testkit["secret_key"],
        # Wide enough that the table is never wrapped or truncated.
        COLUMNS="400",
    )
    return subprocess.run(
        [str(OFFICIAL_CLI), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def running_session(testkit: dict) -> Iterator[str]:
    """A RUNNING session created through the SDK; yields its name, destroys it afterwards."""
    name = f"conf-cli-{uuid.uuid4().hex[:8]}"
    with Session(config=api_config(testkit)) as s:
        created = sdk_call(
            testkit,
            "session create (POST /session, enqueue_only)",
            lambda: s.ComputeSession.get_or_create(
                IMAGE, name=name, enqueue_only=True, resources={"cpu": 1, "mem": "1g"}
            ),
        )
        assert wait_for_status(testkit, name, {"RUNNING"}) == "RUNNING"
        try:
            yield name
        finally:
            created.destroy()


@pytest.mark.parametrize(
    "command",
    [["ps"], ["session", "list"], ["admin", "session", "list"]],
    ids=lambda c: " ".join(c),
)
def test_official_cli_lists_the_running_session(testkit, running_session, command):
    # With no --format, the CLI first asks `keypair { ... secret_key is_active is_admin }`
    # (to know whether to add the owner column), then pages `compute_session_list` with its
    # default columns; any field the testkit does not know voids the query.
    proc = run_official_cli(testkit, *command)
    shown = " ".join(command)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, (
        f"`backend.ai {shown}` exited with {proc.returncode}\nstdout:\n{proc.stdout}\n"
        f"stderr:\n{proc.stderr[-4000:]}\nrequests the testkit recorded:\n{recorded_requests(testkit)}"
    )
    lines = proc.stdout.splitlines()
    header = lines[0].split() if lines else []
    rows = [line.split() for line in lines if running_session in line.split()]
    assert rows, f"`backend.ai {shown}` does not list {running_session}:\n{proc.stdout}"
    # The CLI zips its column headers with the values in the order the server answered,
    # so a server that reorders fields puts the name under another header.
    assert header[:1] == ["Name"] and rows[0][0] == running_session, (
        f"the session's name is not under the Name column:\n{proc.stdout}"
    )
    assert "RUNNING" in rows[0], proc.stdout


def test_official_cli_ps_with_chosen_columns(testkit, running_session):
    proc = run_official_cli(testkit, "ps", "--format", "name,status,image,session_id", "--plain")
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-4000:]}"
    rows = [line.split() for line in proc.stdout.splitlines() if line.strip()]
    mine = [r for r in rows if r[:1] == [running_session]]
    assert len(mine) == 1, proc.stdout
    name, status, image, session_id = mine[0]
    assert (status, image) == ("RUNNING", IMAGE), mine[0]
    assert uuid.UUID(session_id), mine[0]
