#!/usr/bin/env python3
"""The security suite of issue 10: each attack replayed against the built `bai`, a real
WebKitGTK engine and `bai demo`, judged by what the other side received (the probe app's
request log, JupyterLab's kernels and files, the attacker server's Cookie log, /proc), not
by a status code alone. One line per check, then `N passed, M failed`.

  python3 tests/security/suite.py --bai target/debug/bai --testkit target/debug/bai-testkit

run.sh builds the binaries and starts it under Xvfb. See README.md for what each check
proves."""

import argparse
import json
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lib  # noqa: E402
from lib import Raw, request  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AUTH_LINE = re.compile(r"^http://127\.[0-9.]+:\d+/__launcher/auth\?token=[0-9a-f]+$")
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
ESC_INFO = "info\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned-title\x07\x1b[2J\u009b31m\u202e\rend"
BAD_BYTES = {b"\x1b": "ESC", b"\x07": "BEL", b"\r": "CR", "\u009b".encode(): "C1 CSI",
             "\u202e".encode(): "RLO"}


def bad_bytes(data):
    return [name for b, name in BAD_BYTES.items() if b in data]


class Tunnel:
    """A `bai launch` holding a tunnel: its stdout URL, the browser's file URL, the cookie."""

    def __init__(self, live, url, argv_file):
        self.live = live
        self.url = url
        self.argv_file = argv_file
        self.host, self.port, _ = lib.split_url(url)
        self.origin = f"http://{self.host}:{self.port}"
        self.cookie = None  # "bai_launcher_PORT=value"
        self.browser_url = None

    def redeem(self, url=None):
        host, port, path = lib.split_url(url or self.url)
        r = lib.one_shot(host, port, request("GET", path, f"{host}:{port}"))
        cookie = None
        for v in r.all("set-cookie"):
            if v.startswith("bai_launcher_"):
                cookie = v.split(";", 1)[0]
        return r, cookie

    def wait_browser_argv(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.argv_file) and os.path.getsize(self.argv_file) > 0:
                time.sleep(0.1)
                with open(self.argv_file) as f:
                    return f.read().splitlines()
            time.sleep(0.05)
        raise TimeoutError("the browser was not started")


def redirect_url(path):
    with open(path) as f:
        html = f.read()
    m = re.search(r'url=([^"]+)"', html)
    return m.group(1).replace("&amp;", "&") if m else None


class Suite:
    def __init__(self, args):
        self.args = args
        self.r = lib.Results()
        self.bai = os.path.abspath(args.bai)
        self.testkit_bin = os.path.abspath(args.testkit)
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="bai-security-")
        self.runtime = os.path.join(self.tmp, "runtime")
        os.mkdir(self.runtime, 0o700)
        self.cfg = os.path.join(self.tmp, "cfg")
        self.recorder = os.path.join(self.tmp, "fake-browser.sh")
        with open(self.recorder, "w") as f:
            # Records its argv, then lingers, as a browser does, so that `ps` can see it.
            f.write('#!/bin/sh\nprintf \'%s\\n\' "$@" > "$BAI_SEC_ARGV.tmp"\n'
                    'mv "$BAI_SEC_ARGV.tmp" "$BAI_SEC_ARGV"\nsleep 2\n')
        os.chmod(self.recorder, 0o755)
        self.lives = []
        self.kit = None
        self.browser = None
        self.browser_error = None
        self.jupyter_exe = None
        self.n_launch = 0

    # ------------------------------------------------------------ plumbing

    def base_env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("BACKEND_") and k not in ("BAI_PROFILE", "BAI_CONFIG_DIR", "BAI_LOG", "BROWSER")}
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bai-security-bus"
        env["XDG_RUNTIME_DIR"] = self.runtime
        env.update(extra)
        return env

    def env_mode(self, **extra):
        return self.base_env(BACKEND_ENDPOINT=self.kit["manager_url"], BACKEND_ACCESS_KEY=ACCESS_KEY,
                             BACKEND_SECRET_KEY=self.kit["secret_key"], **extra)

    def live(self, argv, env, log):
        l = lib.Live(argv, env=env, log_name=log, log_dir=self.out)
        self.lives.append(l)
        return l

    def ctl(self, method, path, body=None, token=True, base=None):
        """The testkit's control API (with its token unless told otherwise)."""
        host, port, _ = lib.split_url(base or self.kit["manager_url"])
        headers = [("Content-Type", "application/json")]
        if token is True:
            headers.append(("Authorization", "Bearer " + self.kit["control_token"]))
        elif token:
            headers.append(("Authorization", "Bearer " + token))
        data = json.dumps(body).encode() if body is not None else b""
        r = lib.one_shot(host, port, request(method, path, f"{host}:{port}", headers, data), timeout=10)
        return r

    def launch(self, name, app, no_open=False, env=None, extra=()):
        self.n_launch += 1
        argv_file = os.path.join(self.tmp, f"browser-argv-{self.n_launch}")
        env = env or self.env_mode()
        env = dict(env, BROWSER=self.recorder, BAI_SEC_ARGV=argv_file)
        argv = [self.bai, "--config-dir", self.cfg, *extra, "launch", "--image", "python", "--app", app,
                "--name", name] + (["--no-open"] if no_open else [])
        live = self.live(argv, env, f"launch-{name}.log")
        url = live.wait_line(lambda l: AUTH_LINE.match(l.strip()) is not None, 120).strip()
        live.wait_line(lambda l: l.startswith("tunnel on "), 30)
        return Tunnel(live, url, argv_file)

    def attack(self, name, fn):
        """Run one attack; an exception is a failure of that attack, and the suite goes on."""
        started = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            self.r.fail(name, f"the attack could not be carried out: {type(e).__name__}: {e}")
            with open(os.path.join(self.out, "tracebacks.log"), "a") as f:
                f.write(f"--- {name}\n{traceback.format_exc()}\n")
        finally:
            with open(os.path.join(self.out, "timing.log"), "a") as f:
                f.write(f"{name}: {time.monotonic() - started:.1f}s\n")

    def need_browser(self, name):
        if self.browser is not None:
            return True
        why = self.browser_error or "WebKitGTK is not available"
        if lib.in_ci():
            self.r.fail(name, f"prerequisite missing in CI: {why}")
        else:
            self.r.skip(name, why)
        return False

    # ------------------------------------------------------------ setup

    def prerequisites(self):
        exe = os.environ.get("BAI_TESTKIT_JUPYTER") or os.path.join(
            os.environ.get("BAI_CACHE", os.path.expanduser("~/.cache/bai-launcher")), "jupyter/bin/jupyter")
        ok = os.access(exe, os.X_OK)
        self.jupyter_exe = exe if ok else None
        if not ok:
            msg = f"JupyterLab not found at {exe} (bash scripts/python-env.sh jupyter, or set BAI_TESTKIT_JUPYTER)"
            self.r.fail("0-prerequisite-jupyterlab", msg)
            return False
        if os.environ.get("BAI_SEC_NO_DISPLAY"):
            self.browser_error = os.environ["BAI_SEC_NO_DISPLAY"]
        elif not os.environ.get("DISPLAY"):
            self.browser_error = "no DISPLAY (run through run.sh, which starts Xvfb)"
        else:
            try:
                import gi  # noqa: F401
                gi.require_version("WebKit2", "4.1")
                from gi.repository import WebKit2  # noqa: F401
            except (ImportError, ValueError) as e:
                self.browser_error = (f"{sys.executable} cannot load WebKit2 4.1 through gi ({e}); "
                                      "install python3-gi gir1.2-webkit2-4.1 (scripts/setup-system.sh)")
        if self.browser_error and lib.in_ci():
            self.r.fail("0-prerequisite-webkitgtk", self.browser_error)
        return True

    def start(self):
        env = self.base_env(BAI_TESTKIT_JUPYTER=self.jupyter_exe, RUST_LOG="info")
        self.testkit = self.live([self.testkit_bin, "--schedule-ms", "50"], env, "testkit.log")
        line = self.testkit.wait_line(lambda l: l.startswith("{"), 30)
        self.kit = json.loads(line)
        self.probe = lib.Recorder("127.0.0.1", lib.probe_app_handler, "probe-app")
        self.attacker = lib.Recorder("127.0.0.1", lib.attacker_handler, "attacker")
        r = self.ctl("POST", "/__testkit/app-target", {"app": "jupyter", "addr": f"127.0.0.1:{self.probe.port}"})
        if r.status != 200:
            raise RuntimeError(f"cannot point the jupyter app at the probe app: {r.status} {r.body[:200]!r}")
        if self.browser_error is None:
            self.browser = lib.Browser(sys.executable, self.out)
            if not self.browser.ready.get("ok"):
                self.browser_error = f"the WebKitGTK driver did not start: {self.browser.ready}"
                self.browser = None
                if lib.in_ci():
                    self.r.fail("0-prerequisite-webkitgtk", self.browser_error)

    def stop(self):
        if self.browser:
            self.browser.close()
        for l in reversed(self.lives):
            l.finish(timeout=15)
        for s in ("probe", "attacker"):
            if hasattr(self, s):
                getattr(self, s).stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ------------------------------------------------------------ 1: ps

    def attack1_ps(self):
        hits, seen_browser, scans = [], [], [0]
        stop = threading.Event()

        def scan():
            me = os.getpid()
            while not stop.is_set():
                for pid, cmd in lib.all_cmdlines().items():
                    if pid == me:
                        continue
                    if "token=" in cmd or "__launcher" in cmd:
                        hits.append((pid, cmd[:300]))
                    if "file://" in cmd and "open-" in cmd:
                        seen_browser.append(cmd[:200])
                scans[0] += 1
                time.sleep(0.02)

        t = threading.Thread(target=scan, daemon=True)
        t.start()
        try:
            self.probe_tunnel = tun = self.launch("sec-probe", "jupyter")
            argv = tun.wait_browser_argv()
            time.sleep(1.0)  # the browser lingers; keep looking
        finally:
            stop.set()
            t.join()
        # Other programs may carry an unrelated `token=` (JupyterLab's empty --ServerApp.token=):
        # what counts is a launcher URL or one of this launch's tokens.
        file_url = redirect_url(argv[0][len("file://"):]) if argv and argv[0].startswith("file://") else None
        tokens = {u.split("token=", 1)[1] for u in (tun.url, file_url) if u and "token=" in u}
        bad = sorted({c for _, c in hits if "/__launcher/" in c or any(k in c for k in tokens)
                      or re.search(r"token=[0-9a-f]{32,}", c)})
        self.r.check(
            "1-ps-shows-no-token",
            not bad and seen_browser,
            f"{scans[0]} scans of every /proc/*/cmdline while `bai launch` started the browser: "
            + (f"a launcher token in {bad[:3]}" if bad else
               f"no launcher URL or token anywhere ({len({c for _, c in hits})} unrelated token= ignored)")
            + (f"; the scan saw the browser's command line ({seen_browser[0]!r})" if seen_browser
               else "; but the scan never saw the browser, so it proves nothing"))

        # What the browser got: a private file, not a URL with a token.
        path = argv[0][len("file://"):] if len(argv) == 1 and argv[0].startswith("file://") else None
        ok = path is not None and "token=" not in " ".join(argv)
        detail = f"browser argv {argv!r}"
        if path:
            fmode, dmode = lib.mode_of(path), lib.mode_of(os.path.dirname(path))
            tun.browser_url = redirect_url(path)
            ok = ok and fmode == 0o600 and dmode == 0o700 and tun.browser_url is not None \
                and tun.browser_url.startswith(tun.origin + "/__launcher/auth?token=") \
                and tun.browser_url != tun.url
            detail += (f"; file {oct(fmode)} in dir {oct(dmode)} ({os.path.dirname(path)}); it redirects to "
                       f"this tunnel with its own token: {tun.browser_url is not None and tun.browser_url != tun.url}")
        self.r.check("1-browser-gets-a-private-file", ok, detail)

        # The URL printed on stdout: works once, then 403; nothing reaches the app either time.
        before = len(self.probe.entries())
        first, cookie = tun.redeem()
        second, cookie2 = tun.redeem()
        after_auth = len(self.probe.entries())
        tun.cookie = cookie
        ok = (first.status == 200 and cookie is not None and second.status == 403 and cookie2 is None
              and after_auth == before)
        # The cookie from the first use does work (so the 403 is the token's death, not a broken tunnel).
        ctrl = lib.one_shot(tun.host, tun.port, request("GET", "/after-auth", f"{tun.host}:{tun.port}",
                                                            [("Cookie", cookie or "none")]))
        got = [e["path"] for e in self.probe.entries()[after_auth:]]
        ok = ok and ctrl.status == 200 and got == ["/after-auth"]
        self.r.check(
            "1-printed-url-works-once",
            ok,
            f"first use {first.status} (cookie set: {cookie is not None}), second use {second.status} "
            f"(cookie set: {cookie2 is not None}); the app saw nothing of either; the cookie from the first "
            f"use then got {ctrl.status} and the app saw {got}")

    # ------------------------------------------------------------ 2: per-request admission

    def attack2_keepalive(self):
        t = self.probe_tunnel
        host = f"{t.host}:{t.port}"
        ck = [("Cookie", t.cookie)]

        # A kept-alive connection: admitted first, then a request without the cookie.
        c = Raw(t.host, t.port)
        c.send(request("GET", "/ka/1", host, ck))
        r1 = c.read_response()
        c.send(request("GET", "/ka/2-no-cookie", host))
        r2 = c.read_response()
        closed = c.closed_by_peer()
        c.close()
        paths = [e["path"] for e in self.probe.entries()]
        self.r.check("2-keepalive-second-request-without-cookie",
                     r1.status == 200 and r2.status == 403 and closed and "/ka/1" in paths
                     and "/ka/2-no-cookie" not in paths,
                     f"first (cookie) {r1.status}, second (no cookie) {r2.status}, connection closed: {closed}; "
                     f"the app saw /ka/1: {'/ka/1' in paths}, saw the cookie-less one: {'/ka/2-no-cookie' in paths}")

        # Pipelined: three requests in one write; the cookie-less middle one ends the connection.
        c = Raw(t.host, t.port)
        c.send(request("GET", "/pl/1", host, ck) + request("GET", "/pl/2-no-cookie", host)
               + request("GET", "/pl/3", host, ck))
        statuses = []
        try:
            while len(statuses) < 3:
                statuses.append(c.read_response().status)
        except (EOFError, OSError):
            pass
        closed = c.closed_by_peer()
        c.close()
        paths = [e["path"] for e in self.probe.entries()]
        self.r.check("2-pipelined-request-without-cookie",
                     statuses == [200, 403] and closed and "/pl/1" in paths
                     and "/pl/2-no-cookie" not in paths and "/pl/3" not in paths,
                     f"responses {statuses}, then closed: {closed}; the app saw "
                     f"{[p for p in paths if p.startswith('/pl/')]}")

        # Request smuggling: bodies whose framing hides a cookie-less request.
        smuggled = request("GET", "/sm/hidden", host)
        te_cl = request("POST", "/sm/1", host, ck + [("Content-Length", "4"), ("Transfer-Encoding", "chunked")],
                        b"0\r\n\r\n" + smuggled)
        chunked = request("POST", "/sm/2", host, ck + [("Transfer-Encoding", "chunked")],
                          b"5\r\nhello\r\n0\r\n\r\n" + request("GET", "/sm/after-chunked", host))
        expect = request("POST", "/sm/3", host, ck + [("Expect", "100-continue"), ("Content-Length", "5")])
        outcomes = []
        for label, data, body in (("TE+CL", te_cl, None), ("chunked", chunked, None), ("expect", expect, b"hello")):
            # Read every answer until the server closes or goes quiet for a second.
            c = Raw(t.host, t.port, timeout=1.0)
            got = []
            try:
                c.send(data)
                while len(got) < 4:
                    r = c.read_response()
                    got.append(r.status)
                    if r.status == 100 and body:
                        c.send(body)
                        body = None
            except (EOFError, OSError):
                pass
            finally:
                c.close()
            outcomes.append(f"{label}: {got}")
        time.sleep(0.3)
        paths = [e["path"] for e in self.probe.entries()]
        leaked = [p for p in paths if p in ("/sm/hidden", "/sm/after-chunked")]
        bodies = {e["path"]: e["body"] for e in self.probe.entries() if e["path"].startswith("/sm/")}
        self.r.check("2-smuggled-request-never-reaches-the-app",
                     not leaked and "/sm/2" in paths and bodies.get("/sm/2") == "hello"
                     and bodies.get("/sm/3") == "hello",
                     f"{'; '.join(outcomes)}; the app saw {sorted(bodies)} (bodies {bodies}); "
                     f"smuggled requests that reached it: {leaked or 'none'}")

        # The app's own cookies pass; no launcher cookie reaches it, in one header or two.
        c = Raw(t.host, t.port)
        c.send(request("GET", "/ck/1", host, [("Cookie", f"app_a=1; {t.cookie}; bai_launcher_9=x")]))
        r1 = c.read_response()
        c.send(request("GET", "/ck/2", host, [("Cookie", "app_b=2"), ("Cookie", t.cookie)]))
        r2 = c.read_response()
        c.close()
        seen = {e["path"]: e["cookie"] for e in self.probe.entries() if e["path"].startswith("/ck/")}
        self.r.check("2-app-receives-no-launcher-cookie",
                     r1.status == 200 and r2.status == 200 and seen.get("/ck/1") == "app_a=1"
                     and seen.get("/ck/2") == "app_b=2",
                     f"the app received Cookie {seen} (sent with bai_launcher_ cookies mixed in)")

        # DNS rebinding: the cookie, but a Host that is not the listener's.
        res = {}
        for label, h in (("evil", f"evil.example:{t.port}"), ("localhost", f"localhost:{t.port}"),
                         ("127.0.0.1", f"127.0.0.1:{t.port}"), ("trailing-dot", f"{t.host}.:{t.port}")):
            res[label] = lib.one_shot(t.host, t.port, request("GET", f"/host/{label}", h, ck)).status
        paths = [e["path"] for e in self.probe.entries() if e["path"].startswith("/host/")]
        self.r.check("2-foreign-host-refused", all(s == 403 for s in res.values()) and not paths,
                     f"statuses {res}; the app saw {paths or 'none'}")

    # ------------------------------------------------------------ 3: cross-origin with the cookie

    def attack3_cross_origin(self):
        t = self.probe_tunnel
        host = f"{t.host}:{t.port}"
        ck = [("Cookie", t.cookie)]
        foreign = [self.attacker.origin, "null", f"http://{t.host}:{t.port + 1}", f"http://localhost:{t.port}"]

        def upgrade(path, origin):
            c = Raw(t.host, t.port)
            try:
                c.send(request("GET", path, host, ck + [("Origin", origin), ("Upgrade", "websocket"),
                                                        ("Connection", "Upgrade"),
                                                        ("Sec-WebSocket-Version", "13"),
                                                        ("Sec-WebSocket-Key", lib.ws_key())]))
                return c.read_response().status
            finally:
                c.close()

        ws = {o: upgrade(f"/ws/foreign-{i}", o) for i, o in enumerate(foreign)}
        ws_own = upgrade("/ws/own", t.origin)
        paths = [e["path"] for e in self.probe.entries() if e["path"].startswith("/ws/")]
        self.r.check("3-cross-origin-websocket-refused",
                     all(s == 403 for s in ws.values()) and ws_own == 101 and paths == ["/ws/own"],
                     f"upgrades from {ws}; from the tunnel's own origin {ws_own}; the app saw {paths}")

        posts = {}
        for i, o in enumerate(foreign):
            posts[o] = lib.one_shot(t.host, t.port, request(
                "POST", f"/post/foreign-{i}", host, ck + [("Origin", o), ("Content-Type", "text/plain")], b"x")).status
        for site in ("cross-site", "same-site"):
            for mode, dest in (("no-cors", "script"), ("navigate", "iframe"), ("cors", "empty")):
                posts[f"{site}/{dest}"] = lib.one_shot(t.host, t.port, request(
                    "GET", f"/post/{site}-{dest}", host,
                    ck + [("Sec-Fetch-Site", site), ("Sec-Fetch-Mode", mode), ("Sec-Fetch-Dest", dest)])).status
        own = lib.one_shot(t.host, t.port, request("POST", "/post/own", host,
                                                   ck + [("Origin", t.origin), ("Content-Type", "text/plain")], b"x")).status
        paths = [e["path"] for e in self.probe.entries() if e["path"].startswith("/post/")]
        self.r.check("3-cross-origin-post-and-subresource-refused",
                     all(s == 403 for s in posts.values()) and own == 200 and paths == ["/post/own"],
                     f"with the cookie: {posts}; own origin {own}; the app saw {paths}")

        # The same against the real JupyterLab: a cookie, a valid XSRF token, a foreign Origin.
        j = self.jupyter
        before = j.kernels()
        statuses, by_tunnel = {}, 0
        for o in foreign:
            resp = lib.one_shot(self.lab_tunnel.host, self.lab_tunnel.port, request(
                "POST", "/api/kernels", f"{self.lab_tunnel.host}:{self.lab_tunnel.port}",
                [("Cookie", f"{self.lab_tunnel.cookie}; _xsrf={j.xsrf}"), ("X-XSRFToken", j.xsrf),
                 ("Origin", o), ("Content-Type", "application/json")], b"{}"))
            statuses[o] = resp.status
            # The tunnel's own refusal page, not JupyterLab's: the app is not the only defence.
            by_tunnel += b"Backend.AI Launcher" in resp.body
        kid = self.lab_kernel
        c = Raw(self.lab_tunnel.host, self.lab_tunnel.port)
        c.send(request("GET", f"/api/kernels/{kid}/channels", f"{self.lab_tunnel.host}:{self.lab_tunnel.port}",
                       [("Cookie", f"{self.lab_tunnel.cookie}; _xsrf={j.xsrf}"), ("Origin", self.attacker.origin),
                        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13"),
                        ("Sec-WebSocket-Key", lib.ws_key())]))
        ws_status = c.read_response().status
        c.close()
        after = j.kernels()
        self.r.check("3-cross-origin-kernel-start-refused-by-the-tunnel",
                     all(s == 403 for s in statuses.values()) and by_tunnel == len(foreign) and ws_status == 403
                     and before == after,
                     f"POST /api/kernels with cookie and XSRF token from {statuses} ({by_tunnel} refused by the "
                     f"tunnel's own page, before JupyterLab); kernel channel upgrade "
                     f"{ws_status}; kernels before {len(before)}, after {len(after)} (same set: {before == after})")

    # ------------------------------------------------------------ 4: flood

    def attack4_flood(self):
        t = self.probe_tunnel
        host = f"{t.host}:{t.port}"
        ck = [("Cookie", t.cookie)]
        kept = Raw(t.host, t.port)
        kept.send(request("GET", "/flood/warm", host, ck))
        kept.read_response()

        def kept_alive():
            s = time.perf_counter()
            kept.send(request("GET", "/flood/kept", host, ck))
            r = kept.read_response()
            return (time.perf_counter() - s) * 1000, r.status

        def fresh():
            s = time.perf_counter()
            c = None
            try:
                c = Raw(t.host, t.port)
                c.send(request("GET", "/flood/new", host, ck))
                r = c.read_response()
                return (time.perf_counter() - s) * 1000, r.status
            except (EOFError, OSError) as e:
                return (time.perf_counter() - s) * 1000, f"error {e}"
            finally:
                if c:
                    c.close()

        def measure(n):
            k, f = [], []
            for _ in range(n):
                k.append(kept_alive())
                f.append(fresh())
                time.sleep(0.03)
            return k, f

        def flooded(mode):
            """Measure while a child process holds 1,100 sockets (`churn`: and re-opens each one
            the tunnel drops, as fast as it can)."""
            child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--flood", t.host, str(t.port),
                                      "1100", mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                line = child.stdout.readline().strip()
                opened = int(line.split()[1]) if line.startswith("opened") else 0
                fds = lib.fd_count(t.live.pid)
                k, f = measure(25)
                fds = max(fds, lib.fd_count(t.live.pid))
                est = lib.established_to(t.host, t.port)
            finally:
                child.terminate()
                try:
                    _, err = child.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    _, err = child.communicate()
            m = re.search(r"reopened (\d+)", err or "")
            return opened, k, f, fds, est, (m.group(1) if m else "?")

        def summary(xs):
            ms = [x for x, _ in xs]
            return (f"median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms "
                    f"(statuses {sorted(set(str(s) for _, s in xs))})")

        def fast(xs):
            return all(s == 200 for _, s in xs) and max(x for x, _ in xs) < 100

        base_k, base_f = measure(10)
        opened, k, f, fds, est, _ = flooded("hold")
        what = f"{opened} idle sockets held by another process"
        self.r.check("4-flood-kept-alive-request-under-100ms", opened >= 1100 and fast(k),
                     f"{what}: 25 requests on an admitted kept-alive connection: {summary(k)}; without the "
                     f"flood: {summary(base_k)}")
        self.r.check("4-flood-new-connection-under-100ms", opened >= 1100 and fast(f),
                     f"{what}: 25 admitted requests on new connections: {summary(f)}; without the flood: "
                     f"{summary(base_f)}")
        self.r.check("4-flood-unauthenticated-connections-capped", opened >= 1100 and 0 < fds < 700,
                     f"during the flood bai held {fds} file descriptors and the kernel showed {est} established "
                     f"connections to the tunnel (cap 256 unauthenticated)")
        # Harder than the issue asks: the flood re-opens every socket the tunnel drops.
        opened, k, f, fds, est, reopened = flooded("churn")
        self.r.check("4-churn-flood-admitted-requests-under-100ms",
                     opened >= 1100 and fast(k) and fast(f),
                     f"{opened} sockets, each re-opened as soon as the tunnel drops it ({reopened} re-opened "
                     f"while measuring; bai held {fds} descriptors): kept-alive {summary(k)}; new connections "
                     f"{summary(f)}",
                     known=opened >= 1100)

    # ------------------------------------------------------------ 5: WebKitGTK

    def lab_setup(self):
        """The JupyterLab tunnel: launched like the probe one; its stdout URL gives the suite a
        cookie, the browser's file URL is left for the WebView."""
        self.lab_tunnel = tun = self.launch("sec-lab", "jupyterlab")
        argv = tun.wait_browser_argv()
        tun.browser_url = redirect_url(argv[0][len("file://"):])
        r, tun.cookie = tun.redeem()
        if tun.cookie is None:
            raise RuntimeError(f"the lab tunnel's URL gave no cookie: {r.status}")
        self.jupyter = lib.JupyterClient(tun.host, tun.port, tun.cookie)
        self.jupyter.login()
        if not self.jupyter.xsrf:
            raise RuntimeError("JupyterLab gave no _xsrf cookie through the tunnel")
        jpid, jargv = lib.find_jupyter_server(self.testkit.pid)
        self.lab_pid, self.lab_root = jpid, lib.jupyter_root_dir(jargv)
        # A kernel started the legitimate way (the tunnel's origin, cookie and XSRF token): it
        # proves kernel creation is visible, and gives the attacker a live kernel to aim at.
        before = self.jupyter.kernels()
        self.lab_kernel = self.jupyter.start_kernel()
        after = self.jupyter.kernels()
        self.jupyter.put_file("legit.txt", "written by the launcher's own client")
        on_disk = sorted(os.listdir(self.lab_root)) if self.lab_root and os.path.isdir(self.lab_root) else None
        listed = self.jupyter.contents()
        self.r.check("5-control-same-origin-kernel-and-file-work",
                     self.lab_kernel in after and len(after) == len(before) + 1 and jpid is not None
                     and on_disk == ["legit.txt"] and listed == ["legit.txt"],
                     f"through the tunnel with its cookie, own Origin and XSRF token: POST /api/kernels created "
                     f"kernel {self.lab_kernel[:8]}… (kernels {len(before)} -> {len(after)}), PUT /api/contents "
                     f"wrote legit.txt (on disk {on_disk}, listed {listed}); so the checks below can see both. "
                     f"JupyterLab pid {jpid}, root dir {self.lab_root}")

    def lab_state(self):
        files = sorted(os.listdir(self.lab_root)) if self.lab_root and os.path.isdir(self.lab_root) else None
        return {"kernels": self.jupyter.kernels(), "contents": self.jupyter.contents(), "files": files,
                "kernel_procs": len(lib.kernel_processes(self.lab_pid)) if self.lab_pid else None}

    def attack5_webkit(self):
        if not self.need_browser("5-webkitgtk-cross-site-page"):
            return
        b, p, lab = self.browser, self.probe_tunnel, self.lab_tunnel
        # The user's browser opens both tunnels through the launcher's private redirect files.
        n0 = len(self.probe.entries())
        r1 = b.load(self.file_url(p), until_uri=p.origin + "/", timeout=20)
        hits1 = self.webkit_hits(n0)
        r2 = b.load(self.file_url(lab), until_uri=lab.origin + "/", timeout=45)
        refused = lambda r: "Not allowed" in (r.get("title") or "") or "private tunnel" in (r.get("text") or "")
        self.r.check("1-browser-redirect-file-opens-the-app",
                     r1.get("ok") and r2.get("ok") and hits1 and not refused(r1) and not refused(r2),
                     f"WebKitGTK given bai's file:// redirect: probe tunnel landed on {r1.get('uri')} "
                     f"(title {r1.get('title')!r}, the app saw {len(hits1)} requests from WebKit; page: "
                     f"{(r1.get('text') or '')[:160]!r}); lab tunnel landed on {r2.get('uri')} (title "
                     f"{r2.get('title')!r}) {r1.get('error', '')} {r2.get('error', '')}")
        # Whatever that showed, the auth redirect's Set-Cookie is in the jar: the user's own
        # navigations (typed, no initiator) get in.
        n1 = len(self.probe.entries())
        r3 = b.load(p.origin + "/", until_uri=p.origin + "/", timeout=20)
        hits3 = self.webkit_hits(n1)
        r4 = b.load(lab.origin + "/lab", until_uri=lab.origin + "/lab", timeout=45)
        self.r.check("5-control-webview-holds-both-cookies",
                     r3.get("ok") and hits3 and r4.get("ok") and not refused(r3) and not refused(r4),
                     f"typed navigations: probe tunnel {r3.get('uri')} (the app saw {len(hits3)} WebKit requests), "
                     f"lab tunnel {r4.get('uri')} (title {r4.get('title')!r}) {r3.get('error', '')} {r4.get('error', '')}")
        time.sleep(3)  # let JupyterLab's page settle
        # The attacker page, from three places: another site (127.0.0.1), and another port of
        # each tunnel's own address (a server listening on all addresses), which the browser
        # treats as the same site: SameSite=Strict does not hold it back, the tunnel must.
        on_lab = lib.Recorder(lab.host, lib.attacker_handler, "same-site-lab")
        on_probe = lib.Recorder(p.host, lib.attacker_handler, "same-site-probe")
        try:
            for tag, server in (("cross-site", self.attacker), ("same-site-lab", on_lab),
                                ("same-site-probe", on_probe)):
                self.attacker_page(tag, server)
        finally:
            on_lab.stop()
            on_probe.stop()

        # A page inside the tunnel (as a notebook's output would be) sends requests to other
        # local servers; they log every Cookie header.
        same_host = lib.Recorder(p.host, lib.attacker_handler, "same-host")
        try:
            n_att, n_probe = len(self.attacker.entries()), len(self.probe.entries())
            targets = [self.attacker.origin, f"http://localhost:{self.attacker.port}", same_host.origin]
            q = urllib.parse.urlencode({"targets": ",".join(targets), "nav": self.attacker.origin + "/leak/nav"})
            r = b.load(f"{p.origin}/leak.html?{q}", until_uri=self.attacker.origin + "/leak/nav", timeout=90)
            time.sleep(0.5)
            got = [e for e in self.attacker.entries()[n_att:] if e["path"].startswith("/leak/")]
            leaked = [(e["path"], e["cookie"]) for e in got if "bai_launcher_" in e["cookie"]]
            self_seen = [e for e in self.probe.entries()[n_probe:] if e["path"] == "/leak/self"]
            kinds = sorted({e["path"].split("?")[0].split("/")[2] for e in got})
            self.r.check("5-no-launcher-cookie-reaches-another-local-port",
                         r.get("ok") and len(got) >= 8 and not leaked and self_seen,
                         f"a page in the probe tunnel (which ran: the app saw its same-origin fetch: "
                         f"{bool(self_seen)}) sent {len(got)} requests to 127.0.0.1:{self.attacker.port} and "
                         f"localhost:{self.attacker.port} ({', '.join(kinds)}); with a bai_launcher_ cookie: "
                         f"{leaked or 'none'}; cookies seen: {sorted({e['cookie'] for e in got}) or ['(none)']}")
            same = [e for e in same_host.entries() if e["path"].startswith("/leak/")]
            leaked_same = sorted({e["cookie"].split("=")[0] for e in same if "bai_launcher_" in e["cookie"]})
            detail = (f"a server listening on all addresses is reachable at the tunnel's own address "
                      f"({same_host.origin}); the tunnel's page sent it {len(same)} requests; with a "
                      f"bai_launcher_ cookie: {len([e for e in same if 'bai_launcher_' in e['cookie']])} "
                      f"({leaked_same or 'none'}); the requests carried Sec-Fetch-Site "
                      f"{sorted({e['headers'].get('sec-fetch-site', '(none)') for e in same})}. Cookies are "
                      f"scoped by host, not port: see README, limits")
            name = "5-no-launcher-cookie-reaches-a-server-on-the-tunnels-own-address"
            if r.get("ok") and len(same) >= 4:
                self.r.check(name, not leaked_same, detail, known=True)
            else:
                self.r.fail(name, "the page did not reach the server, so this proves nothing: " + detail)
            # What such a server gets is useless to another user: the tunnel asks the kernel who
            # connected and refuses another user's program, cookie or not.
            stolen = next((c.strip() for e in same for c in e["cookie"].split(";")
                           if c.strip().startswith("bai_launcher_")), None)
            self.stolen_cookie_check(p, stolen)
        finally:
            same_host.stop()

    def stolen_cookie_check(self, tun, stolen):
        name = "5-a-leaked-cookie-is-useless-to-another-user"
        if stolen is None:
            self.r.fail(name, "no cookie leaked to test with")
            return
        if os.geteuid() != 0:
            msg = "switching to another user needs root"
            if os.environ.get("CI"):
                self.r.fail(name, msg + " (CI runs as root)")
            else:
                print(f"SKIP {name}: {msg}", flush=True)
            return
        raw = request("GET", "/stolen-cookie", f"{tun.host}:{tun.port}", [("Cookie", stolen)])
        script = ("import os, socket, sys\n"
                  "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
                  "s = socket.create_connection((sys.argv[1], int(sys.argv[2])))\n"
                  "s.sendall(sys.stdin.buffer.read())\n"
                  "print(s.recv(200).split(b'\\r\\n')[0].decode())\n")
        n0 = len(self.probe.entries())
        out = subprocess.run([sys.executable, "-c", script, tun.host, str(tun.port)], input=raw,
                             capture_output=True, timeout=15)
        theirs = out.stdout.decode().strip()
        reached = [e for e in self.probe.entries()[n0:] if e["path"] == "/stolen-cookie"]
        mine = lib.one_shot(tun.host, tun.port, raw)
        reached_mine = [e for e in self.probe.entries()[n0:] if e["path"] == "/stolen-cookie"]
        # Known limit: the kernel's answer costs ~8 ms per connection through /proc, so the
        # built bai leaves `verify_peer_user` off (crates/tunnel/tests/attacks.rs tests it on).
        self.r.check(name, theirs.startswith("HTTP/1.1 403") and not reached and mine.status == 200
                     and len(reached_mine) == 1,
                     f"uid 65534 with the leaked cookie got {theirs!r} {out.stderr.decode()[-200:]}; the app saw "
                     f"{len(reached)} of its requests; control: this user with the same cookie got "
                     f"{mine.status}", known=True)

    def attacker_page(self, tag, server):
        """attack.html from `server`, in the WebView that holds both tunnels' cookies; judged by
        JupyterLab's kernels and files, the probe app's log and what the page could read."""
        b, p, lab = self.browser, self.probe_tunnel, self.lab_tunnel
        where = f"the attacker page on {server.origin} ({tag})"
        before = self.lab_state()
        n_probe = len(self.probe.entries())
        q = urllib.parse.urlencode({"probe": p.origin, "jupyter": lab.origin, "kernel": self.lab_kernel})
        r = b.load(f"{server.origin}/attack.html?{q}", until_title="done", timeout=90)
        time.sleep(1.5)
        after = self.lab_state()
        reports = [x for rep in lib.reports(server, "attack") for x in rep]
        pwned = [f for f in (after["files"] or []) if f not in (before["files"] or [])]
        self.r.check(f"5-webkit-{tag}-no-kernel-no-file",
                     r.get("ok") and before == after and not pwned and after["files"] is not None,
                     f"after {where} ({len(reports)} attempts: fetch, no-cors POST/PUT, form POST, a WebSocket "
                     f"to live kernel {self.lab_kernel[:8]}… that would write a file): kernels "
                     f"{len(before['kernels'])} -> {len(after['kernels'])} (same set: "
                     f"{before['kernels'] == after['kernels']}), kernel processes {before['kernel_procs']} -> "
                     f"{after['kernel_procs']}, JupyterLab's root dir {before['files']} -> {after['files']}, "
                     f"/api/contents {before['contents']} -> {after['contents']}; page: {r.get('title')!r} "
                     f"{r.get('error', '')}")
        readable = []
        for x in reports:
            n = x.get("name", "?")
            if n == "page-error":
                readable.append(f"{n}: {x.get('error')}")
            elif n == "document-cookie":
                if x.get("ok"):
                    readable.append(f"{n}: {x.get('value')}")
            elif n.startswith("fetch"):
                if x.get("ok") and not (x.get("type") == "opaque" and x.get("status") == 0 and not x.get("body")):
                    readable.append(f"{n}: {x.get('type')} {x.get('status')} {str(x.get('body'))[:80]!r}")
            elif n.startswith("form") or n.startswith("iframe"):
                if x.get("readable"):
                    readable.append(f"{n}: {x.get('readable')[:80]!r}")
            elif n.startswith("ws"):
                if x.get("event") == "open" or x.get("received"):
                    readable.append(f"{n}: opened, received {x.get('received')}")
        expected = 22
        self.r.check(f"5-webkit-{tag}-reads-nothing",
                     len(reports) >= expected and not readable,
                     f"{len(reports)} of {expected} attempts of {where} reported back; readable or usable: "
                     f"{readable or 'nothing'}; outcomes: "
                     + ", ".join(f"{x.get('name')}={x.get('error') or x.get('event') or x.get('type')}"
                                 for x in reports if x.get("name", "").startswith(("fetch-cors-get-c", "ws-", "iframe-l", "document")))
                     )
        hits = [e["path"] for e in self.probe.entries()[n_probe:] if e["path"].startswith("/attack/")]
        self.r.check(f"5-webkit-{tag}-probe-app-received-nothing", r.get("ok") and not hits,
                     f"requests of {where} that reached the app behind the probe tunnel: {hits or 'none'} "
                     "(fetch, no-cors POST, form, WebSocket, iframe, script, img, stylesheet)")

    def webkit_hits(self, since):
        return [e for e in self.probe.entries()[since:] if "AppleWebKit" in e["headers"].get("user-agent", "")]

    def file_url(self, tun):
        """The browser's file:// URL as bai gave it (the recorder saved its argv)."""
        with open(tun.argv_file) as f:
            return f.read().splitlines()[0]

    # ------------------------------------------------------------ 6: the demo

    def attack6_demo(self):
        cfg = os.path.join(self.tmp, "cfg-demo")
        argv_file = os.path.join(self.tmp, "browser-argv-demo")
        env = self.base_env(BROWSER=self.recorder, BAI_SEC_ARGV=argv_file, BAI_TESTKIT_JUPYTER=self.jupyter_exe)
        demo = self.live([self.bai, "--config-dir", cfg, "demo", "--no-profile", "--launch"], env, "demo.log")
        manager = demo.wait_line(lambda l: l.startswith("demo Backend.AI manager: "), 30).split(": ", 1)[1].strip()
        hint = demo.wait_line(lambda l: "BACKEND_SECRET_KEY=" in l, 30)
        secret = re.search(r"BACKEND_SECRET_KEY=(\S+)", hint).group(1)
        url = demo.wait_line(lambda l: AUTH_LINE.match(l.strip()) is not None, 120).strip()
        demo.wait_line(lambda l: l.startswith("tunnel on "), 30)
        session = demo.wait_line(lambda l: l.startswith("ready: "), 5).split(" of session ")[1].split()[0]
        tun = Tunnel(demo, url, argv_file)
        r, tun.cookie = tun.redeem()
        denv = self.base_env(BACKEND_ENDPOINT=manager, BACKEND_ACCESS_KEY=ACCESS_KEY, BACKEND_SECRET_KEY=secret)

        def status():
            code, out, err = lib.run([self.bai, "--config-dir", cfg, "--json", "sessions", "--all"], env=denv)
            items = json.loads(out or b"{}").get("items", []) if code == 0 else []
            return {i.get("name"): i.get("status") for i in items}

        # A kernel started legitimately, through the demo's tunnel: kernels are visible, and its
        # ports (if it had any) are counted below.
        jc = lib.JupyterClient(tun.host, tun.port, tun.cookie)
        jc.login()
        kid = jc.start_kernel()

        # Where the demo's JupyterLab and its kernels listen: a Unix socket and IPC only.
        jpid, jargv = lib.find_jupyter_server(demo.pid)
        kernels = lib.kernel_processes(jpid) if jpid else []
        tcp = lib.listening_tcp([jpid, *kernels]) if jpid else None
        sock = next((a.split("=", 1)[1] for a in jargv or [] if a.startswith("--ServerApp.sock=")), None)
        open_flags = [a for a in jargv or [] if re.search(r"allow_origin|disable_check_xsrf|ServerApp\.(ip|port)=", a)]
        demo_tcp = sorted(lib.listening_tcp([demo.pid, *lib.descendants(demo.pid)]))
        sock_ok = sock and os.path.exists(sock) and lib.mode_of(sock) & 0o077 == 0 \
            and lib.mode_of(os.path.dirname(sock)) == 0o700
        self.r.check("6-demo-jupyterlab-has-no-tcp-port",
                     jpid is not None and tcp == set() and sock_ok and not open_flags,
                     f"JupyterLab pid {jpid} and {len(kernels)} kernels listen on TCP {sorted(tcp or [])}; socket "
                     f"{sock} ({oct(lib.mode_of(sock)) if sock and os.path.exists(sock) else '?'}, dir "
                     f"{oct(lib.mode_of(os.path.dirname(sock))) if sock else '?'}); open-door flags "
                     f"{open_flags or 'none'}; the demo's TCP ports: {demo_tcp}")

        # The control API: no token, a wrong token, a read of the recorded requests.
        ctl = {
            "terminate (no token)": self.ctl("POST", "/__testkit/terminate", {"session": session}, token=None, base=manager).status,
            "fail-session (wrong token)": self.ctl("POST", "/__testkit/fail-session", {"session": session},
                                                   token="x" * 43, base=manager).status,
            "requests (no token)": self.ctl("GET", "/__testkit/requests", token=None, base=manager).status,
            "clock (no token)": self.ctl("POST", "/__testkit/clock", {"offset_secs": 99999}, token=None, base=manager).status,
        }
        # The same request shape does reach the handler with the right token (the suite's own
        # testkit): 404 for an unknown session, so a refusal above is the token's doing.
        shape = self.ctl("POST", "/__testkit/fail-session", {"session": "no-such-session"}).status
        st = status()
        self.r.check("6-demo-control-api-needs-its-secret",
                     ctl["terminate (no token)"] == 401 and ctl["fail-session (wrong token)"] == 403
                     and ctl["requests (no token)"] == 401 and ctl["clock (no token)"] == 401
                     and shape == 404 and st.get(session) == "RUNNING",
                     f"{ctl}; the same request with the suite testkit's token reaches the handler ({shape}); "
                     f"demo session {session} is {st.get(session)}")

        root = lib.jupyter_root_dir(jargv)

        def state():
            return (jc.kernels(), len(lib.kernel_processes(jpid)),
                    sorted(os.listdir(root)) if root and os.path.isdir(root) else None)

        before = state()
        targets = [f"http://{a}:{p}" for a, p in demo_tcp if a in ("127.0.0.1", "0.0.0.0")] + [tun.origin]
        targets = sorted(set(t.replace("0.0.0.0", "127.0.0.1") for t in targets))
        raw = {}
        for t in targets:
            h, p_, _ = lib.split_url(t)
            for origin in (self.attacker.origin, None):
                hdr = [("Content-Type", "application/json")] + ([("Origin", origin)] if origin else [])
                try:
                    raw[f"{p_}{'/cross-origin' if origin else ''}"] = lib.one_shot(
                        h, p_, request("POST", "/api/kernels", f"{h}:{p_}", hdr, b"{}")).status
                except (OSError, EOFError) as e:
                    raw[f"{p_}"] = f"error {e}"
        mid = state()
        self.r.check("6-demo-raw-client-cannot-start-a-kernel",
                     before == mid and not any(s in (200, 201) for s in raw.values()),
                     f"POST /api/kernels to every TCP port of the demo: {raw}; kernels {len(before[0])} -> "
                     f"{len(mid[0])} (the legitimate one, {kid[:8]}…, counted), kernel processes {before[1]} -> {mid[1]}")

        if self.need_browser("6-demo-webkit-cross-site-no-kernel"):
            b = self.browser
            with open(argv_file) as f:
                file_url = f.read().splitlines()[0]
            rf = b.load(file_url, until_uri=tun.origin + "/", timeout=45)
            rr = b.load(tun.origin + "/lab", until_uri=tun.origin + "/lab", timeout=45)
            time.sleep(2)
            before = state()
            q = urllib.parse.urlencode({"targets": ",".join(targets), "kernel": kid, "session": session})
            r = b.load(f"{self.attacker.origin}/demo-attack.html?{q}", until_title="done", timeout=120)
            time.sleep(1.5)
            after = state()
            reports = [x for rep in lib.reports(self.attacker, "demo") for x in rep]
            usable = []
            for x in reports:
                n = x.get("name", "")
                if n == "page-error":
                    usable.append(f"{n}: {x.get('error')}")
                elif n.startswith("ws-"):
                    if x.get("event") == "open":
                        usable.append(f"{n}: opened")
                elif x.get("ok") and x.get("type") != "opaque":
                    usable.append(f"{n}: {x.get('type')} {x.get('status')} {str(x.get('body'))[:60]!r}")
            st = status()
            self.r.check("6-demo-webkit-cross-site-no-kernel",
                         rr.get("ok") and r.get("ok") and before == after and st.get(session) == "RUNNING"
                         and len(reports) >= 10 * len(targets) and not usable,
                         f"the WebView holds the demo's cookie (its redirect file landed on {rf.get('uri')} "
                         f"{rf.get('title')!r}, then {rr.get('uri')} {rr.get('title')!r}); the attacker page made "
                         f"{len(reports)} attempts on {targets}: kernels {len(before[0])} -> {len(after[0])}, kernel "
                         f"processes {before[1]} -> {after[1]}, files {after[2]}; session {session} is "
                         f"{st.get(session)}; readable or usable: {usable or 'nothing'}")
        demo.finish()

    # ------------------------------------------------------------ 7: trace logs

    def attack7_trace(self):
        home = os.path.join(self.tmp, "trace-home")
        for d in ("", ".config", ".local/share", ".local/state", ".cache"):
            os.makedirs(os.path.join(home, d), exist_ok=True)
        env = self.env_mode(BAI_LOG="trace", HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                            XDG_DATA_HOME=os.path.join(home, ".local/share"),
                            XDG_STATE_HOME=os.path.join(home, ".local/state"),
                            XDG_CACHE_HOME=os.path.join(home, ".cache"))
        cfg = os.path.join(home, ".config", "bai-cfg")
        self.ctl("DELETE", "/__testkit/requests")
        argv = [self.bai, "--config-dir", cfg, "launch", "--image", "python", "--app", "jupyter",
                "--name", "sec-trace", "--no-open"]
        live = lib.Live(argv, env=env, log_name="trace-launch.log", log_dir=self.out)
        try:
            url = live.wait_line(lambda l: AUTH_LINE.match(l.strip()) is not None, 60).strip()
            live.wait_line(lambda l: l.startswith("tunnel on "), 30)
            tun = Tunnel(live, url, None)
            _, cookie = tun.redeem()
            for i in range(3):  # each may open a (signed) WebSocket
                c = Raw(tun.host, tun.port)
                c.send(request("GET", f"/trace/{i}", f"{tun.host}:{tun.port}", [("Cookie", cookie or "")]))
                c.read_response()
                c.close()
            time.sleep(0.5)
        finally:
            live.finish()
        texts = [("launch stdout", live.stdout_text()), ("launch stderr", live.stderr_text())]
        for cmd in (["profile", "test"], ["sessions", "--all"], ["apps", "sec-trace"]):
            code, out, err = lib.run([self.bai, "--config-dir", cfg, *cmd], env=env)
            texts += [(f"{' '.join(cmd)} stdout", out.decode("utf-8", "replace")),
                      (f"{' '.join(cmd)} stderr", err.decode("utf-8", "replace"))]
        files = []
        for d, _, names in os.walk(home):
            for n in names:
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    texts.append((p, f.read().decode("utf-8", "replace")))
                files.append(os.path.relpath(p, home))
        recorded = json.loads(self.ctl("GET", "/__testkit/requests").body)
        sigs = set()
        for req in recorded:
            auth = req["headers"].get("authorization", "")
            m = re.search(r"credential=[^:]+:([0-9a-fA-F]{16,})", auth)
            if m:
                sigs.add(m.group(1))
        ws_signed = [q["path"].split("?")[0] for q in recorded
                     if ("proxy" in q["path"]) and "authorization" in q["headers"]]
        secrets = {"secret key": self.kit["secret_key"], "control token": self.kit["control_token"]}
        if cookie:
            secrets["tunnel cookie"] = cookie.split("=", 1)[1]
        token_ok_line = url
        found = []
        for where, text in texts:
            for pat in (r"authorization", r"signature"):
                for m in re.finditer(pat, text, re.I):
                    found.append(f"{pat!r} in {where}: …{text[max(0, m.start() - 60):m.end() + 60]!r}…")
            for what, v in secrets.items():
                if v and v in text:
                    found.append(f"the {what} in {where}")
            for s in sigs:
                if s in text:
                    found.append(f"a request signature ({s[:10]}…) in {where}")
            for line in text.splitlines():
                if "token=" in line and not (where == "launch stdout" and line.strip() == token_ok_line):
                    found.append(f"token= in {where}: {line[:120]!r}")
        trace_lines = sum(1 for _, t in texts for l in t.splitlines() if re.search(r"^\S+ +(TRACE|DEBUG) ", l))
        self.r.check("7-trace-logs-hold-no-secrets",
                     not found and trace_lines > 0 and ws_signed and sigs,
                     f"BAI_LOG=trace for launch (+3 requests through its tunnel), profile test, sessions, apps: "
                     f"{trace_lines} debug/trace log lines, files written {files}; the server recorded {len(sigs)} signatures "
                     f"(incl. the tunnel's signed WebSocket {sorted(set(ws_signed))[:2]}); found: "
                     f"{found[:4] or 'no Authorization, no signature, no secret key, no token= but the one URL line'}")

    # ------------------------------------------------------------ 8: escape sequences

    def attack8_escapes(self):
        self.ctl("POST", "/__testkit/hold-new", {"status": "PREPARING"})
        argv = [self.bai, "--config-dir", self.cfg, "launch", "--image", "python", "--app", "jupyter",
                "--name", "sec-esc-info", "--no-open"]
        live = lib.Live(argv, env=self.env_mode(), log_name="esc-launch.log", log_dir=self.out)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                ss = json.loads(self.ctl("GET", "/__testkit/sessions").body)
                if any(s["name"] == "sec-esc-info" and s["status"] == "PREPARING" for s in ss):
                    break
                time.sleep(0.1)
            r = self.ctl("POST", "/__testkit/fail-session", {"session": "sec-esc-info", "status_info": ESC_INFO})
            live.proc.wait(timeout=20)
        finally:
            self.ctl("POST", "/__testkit/hold-new", {"status": None})
            live.finish()
        launch_bytes = bytes(live.out) + bytes(live.err)
        code, out, err = lib.run([self.bai, "--config-dir", self.cfg, "sessions", "--all"], env=self.env_mode())
        code_v, out_v, err_v = lib.run([self.bai, "-vv", "--config-dir", self.cfg, "sessions", "--all"],
                                       env=self.env_mode())
        row = next((l for l in out.decode("utf-8", "replace").splitlines() if "sec-esc-info" in l), "")
        self.r.check("8-escape-in-status-info-shown-escaped",
                     r.status == 200 and code == 0 and "\\x1b]52" in row
                     and not bad_bytes(out + err) and not bad_bytes(launch_bytes) and not bad_bytes(out_v + err_v),
                     f"status_info with OSC 52, OSC 0, CSI, C1, RLO and CR: `bai sessions --all` row {row.strip()[:140]!r}; "
                     f"raw control bytes in its output: {bad_bytes(out + err) or 'none'}, in `bai launch`'s "
                     f"progress and error: {bad_bytes(launch_bytes) or 'none'}, with -vv (logs): "
                     f"{bad_bytes(out_v + err_v) or 'none'}")

        # A hostile server: a proxy in front of the testkit puts escapes into a session name.
        hostile = json.dumps("sec\x1b]0;pwned\x07\x1b[2Jname\u009b\r")[1:-1].encode()
        proxy = RewritingProxy(self.kit["manager_url"], b"sec-esc-info", hostile)
        try:
            env = self.base_env(BACKEND_ENDPOINT=proxy.url, BACKEND_ACCESS_KEY=ACCESS_KEY,
                                BACKEND_SECRET_KEY=self.kit["secret_key"])
            code, out, err = lib.run([self.bai, "--config-dir", self.cfg, "sessions", "--all"], env=env)
            code_v, out_v, err_v = lib.run([self.bai, "-vv", "--config-dir", self.cfg, "sessions", "--all"], env=env)
            code_j, out_j, err_j = lib.run([self.bai, "--json", "--config-dir", self.cfg, "sessions", "--all"], env=env)
        finally:
            proxy.stop()
        row = next((l for l in out.decode("utf-8", "replace").splitlines() if "pwned" in l), "")
        self.r.check("8-escape-in-session-name-shown-escaped",
                     proxy.rewrites > 0 and code == 0 and "sec\\x1b]0;pwned\\x07" in row
                     and not bad_bytes(out + err) and not bad_bytes(out_v + err_v) and not bad_bytes(out_j + err_j),
                     f"a server answered with the name {hostile.decode()!r} ({proxy.rewrites} responses rewritten): "
                     f"row {row.strip()[:100]!r}; raw control bytes in text output: {bad_bytes(out + err) or 'none'}, "
                     f"with -vv: {bad_bytes(out_v + err_v) or 'none'}, --json: {bad_bytes(out_j + err_j) or 'none'}")

    # ------------------------------------------------------------ 9: local files

    def attack9_files(self):
        base = os.path.join(self.tmp, "files")
        os.makedirs(base, mode=0o755)
        os.chmod(base, 0o755)
        env = self.base_env()

        def bai(cfg, *args):
            old = os.umask(0)  # the modes must come from bai, not from a kind umask
            try:
                return lib.run([self.bai, "--config-dir", cfg, *args], env=env)
            finally:
                os.umask(old)

        def add(cfg, name):
            # --offline: only the files' modes matter here, and nothing listens on port 9.
            return bai(cfg, "profile", "add", name, "--endpoint", "http://127.0.0.1:9", "--email", "a@example.com",
                       "--offline")

        fresh = os.path.join(base, "fresh", "cfg")
        code, out, err = add(fresh, "p1")
        modes = {n: oct(lib.mode_of(os.path.join(fresh, n))) for n in sorted(os.listdir(fresh))} if os.path.isdir(fresh) else {}
        dmode = lib.mode_of(fresh) if os.path.isdir(fresh) else None
        self.r.check("9-fresh-config-is-private",
                     code == 0 and dmode == 0o700 and modes and all(m == "0o600" for m in modes.values())
                     and "profiles.toml" in modes,
                     f"`bai profile add` under umask 000 made {fresh} {oct(dmode or 0)} with files {modes} "
                     f"(exit {code} {err.decode()[:100]})")

        # A folder of ours that others can read is tightened; one they can write is refused.
        readable = os.path.join(base, "readable")
        os.mkdir(readable)
        os.chmod(readable, 0o755)
        code_r, _, err_r = add(readable, "p1")
        writable = os.path.join(base, "writable")
        os.mkdir(writable)
        os.chmod(writable, 0o777)
        code_w, out_w, err_w = add(writable, "p1")
        code_l, _, err_l = bai(writable, "profile", "list")
        msg = err_w.decode("utf-8", "replace").strip()
        self.r.check("9-config-dir-open-to-others-is-refused",
                     code_w != 0 and code_l != 0 and not os.listdir(writable) and "chmod 700" in msg
                     and code_r == 0 and lib.mode_of(readable) == 0o700,
                     f"mode 0777: add exit {code_w}, list exit {code_l}, nothing written "
                     f"({os.listdir(writable) or 'empty'}), message {msg[:200]!r}; mode 0755 was tightened to "
                     f"{oct(lib.mode_of(readable))} (add exit {code_r})")

        if os.geteuid() == 0:
            theirs = os.path.join(base, "theirs")
            os.mkdir(theirs, 0o700)
            os.chown(theirs, 65534, 65534)
            code_t, _, err_t = add(theirs, "p1")
            self.r.check("9-config-dir-of-another-user-is-refused",
                         code_t != 0 and not os.listdir(theirs) and "another user" in err_t.decode(),
                         f"a 0700 folder owned by uid 65534: exit {code_t}, {err_t.decode().strip()[:160]!r}")

        # Planted symlinks: at the temp-file names, the lock and the profiles file itself.
        victim = os.path.join(base, "victim.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.chmod(victim, 0o644)
        vstat = os.stat(victim)
        cfg = os.path.join(base, "planted")
        add(cfg, "p1")
        planted = []
        for suffix in ("AAAAAA", "abcdef", "000000", "zzzzzz", "tmp123"):
            link = os.path.join(cfg, f".profiles.toml.{suffix}.tmp")
            os.symlink(victim, link)
            planted.append(link)
        code1, _, err1 = add(cfg, "p2")
        left = [os.path.basename(p) for p in planted if os.path.lexists(p)]
        toml = os.path.join(cfg, "profiles.toml")
        real_file = os.path.isfile(toml) and not os.path.islink(toml)
        with open(toml) as f:
            has_p2 = 'name = "p2"' in f.read()

        # profiles.toml itself replaced by a link to the victim: the write replaces the link.
        os.replace(toml, toml + ".saved")
        os.symlink(victim, toml)
        code2, _, err2 = add(cfg, "p3")
        toml_is_link = os.path.islink(toml)
        # The lock file as a link: refused (O_NOFOLLOW), with a message.
        lock = os.path.join(cfg, "profiles.lock")
        os.remove(lock)
        os.symlink(victim, lock)
        code3, _, err3 = add(cfg, "p4")
        with open(victim) as f:
            intact = f.read() == "precious\n"
        vafter = os.stat(victim)
        untouched = intact and vafter.st_mtime_ns == vstat.st_mtime_ns and lib.mode_of(victim) == 0o644
        self.r.check("9-planted-symlinks-are-not-followed",
                     untouched and code1 == 0 and real_file and has_p2 and not left and not toml_is_link
                     and code3 != 0,
                     f"victim file untouched: {untouched}; 5 links at .profiles.toml.*.tmp: add exit {code1}, "
                     f"links left {left or 'none'}, profiles.toml a regular file with the new profile: "
                     f"{real_file and has_p2}; profiles.toml as a link: add exit {code2}, still a link: "
                     f"{toml_is_link}; profiles.lock as a link: exit {code3} {err3.decode().strip()[:140]!r}")

    # ------------------------------------------------------------ everything

    def final_checks(self):
        entries = self.probe.entries()
        bad = [(e["path"], k) for e in entries for k, v in e["headers"].items() if "bai_launcher_" in v]
        self.r.check("app-never-received-a-launcher-cookie", entries and not bad,
                     f"over the whole run the probe app received {len(entries)} requests "
                     f"({sum(1 for e in entries if e['cookie'])} with a Cookie header); with bai_launcher_ in "
                     f"any header: {bad[:5] or 'none'}")

    def run(self):
        started = time.monotonic()
        try:
            if not self.prerequisites():
                return
            self.start()
            self.attack("1-ps-visible-url", self.attack1_ps)
            self.attack("5-lab-setup", self.lab_setup)
            self.attack("5-webkitgtk", self.attack5_webkit)
            self.attack("2-per-request-admission", self.attack2_keepalive)
            self.attack("3-cross-origin", self.attack3_cross_origin)
            self.attack("4-flood", self.attack4_flood)
            self.attack("6-demo", self.attack6_demo)
            self.attack("7-trace-logs", self.attack7_trace)
            self.attack("8-escapes", self.attack8_escapes)
            self.attack("9-local-files", self.attack9_files)
            self.final_checks()
        except Exception as e:  # noqa: BLE001
            self.r.fail("suite", f"{type(e).__name__}: {e}")
            traceback.print_exc()
        finally:
            self.stop()
            if self.r.known:
                print(f"{len(self.r.known)} known limitation(s), not counted as failures "
                      f"(BAI_SEC_STRICT=1 counts them): {', '.join(self.r.known)}")
            if self.r.skipped:
                print(f"{len(self.r.skipped)} skipped (prerequisites missing outside CI): "
                      f"{', '.join(self.r.skipped)}")
            print(f"(logs in {self.out}; {time.monotonic() - started:.0f}s)")
            print(f"{self.r.passed} passed, {self.r.failed} failed", flush=True)


class RewritingProxy:
    """A hostile server: forwards to the testkit and rewrites `old` to `new` in every answer."""

    def __init__(self, upstream, old, new):
        self.rewrites = 0
        up_host, up_port, _ = lib.split_url(upstream)
        proxy = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                body = lib._read_body(self)
                c = socket.create_connection((up_host, up_port), timeout=20)
                head = [f"{self.command} {self.path} HTTP/1.1"]
                for k, v in self.headers.items():
                    if k.lower() in ("connection", "content-length", "transfer-encoding"):
                        continue
                    head.append(f"{k}: {v}")
                head += [f"Content-Length: {len(body)}", "Connection: close"]
                c.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
                raw = Raw.__new__(Raw)
                raw.s, raw.buf, raw.timeout = c, b"", 20
                r = raw.read_response(head_request=self.command == "HEAD")
                c.close()
                data = r.body
                if old in data:
                    data = data.replace(old, new)
                    proxy.rewrites += 1
                self.send_response(r.status)
                for k, v in r.headers:
                    if k not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def flood(host, port, n, mode):
    """Child process: open `n` idle connections and hold them until terminated; with mode
    `churn`, re-open each one the tunnel drops."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 200)), hard))
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection((host, port), timeout=5))
    print(f"opened {len(socks)}", flush=True)
    reopened = 0
    stop = []
    signal_mod = __import__("signal")
    signal_mod.signal(signal_mod.SIGTERM, lambda *a: stop.append(1))
    # poll, not select: these descriptors go past FD_SETSIZE.
    poller = select.poll()
    by_fd = {}
    for s in socks:
        poller.register(s, select.POLLIN)
        by_fd[s.fileno()] = s
    while not stop:
        for fd, _ in poller.poll(50):
            s = by_fd.pop(fd, None)
            if s is None:
                continue
            try:
                data = s.recv(1)
            except OSError:
                data = b""
            if data:
                by_fd[fd] = s
                continue
            poller.unregister(fd)
            s.close()
            if mode != "churn":
                continue
            try:
                n2 = socket.create_connection((host, port), timeout=5)
                poller.register(n2, select.POLLIN)
                by_fd[n2.fileno()] = n2
                reopened += 1
            except OSError:
                pass
    print(f"reopened {reopened}", file=sys.stderr, flush=True)


def main():
    # A CI timeout's SIGTERM still runs the clean-up (every process the suite started).
    __import__("signal").signal(__import__("signal").SIGTERM, lambda *a: sys.exit(143))
    if len(sys.argv) > 1 and sys.argv[1] == "--flood":
        flood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "hold")
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--bai", default=os.path.join(ROOT, "target/debug/bai"))
    ap.add_argument("--testkit", default=os.path.join(ROOT, "target/debug/bai-testkit"))
    ap.add_argument("--out", default=os.path.join(ROOT, "target/security"))
    s = Suite(ap.parse_args())
    s.run()
    return 0 if s.r.failed == 0 and s.r.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
