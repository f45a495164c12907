#!/usr/bin/env python3
"""Tunnel benchmark driver (see run.sh and crates/tunnel/README.md): direct to JupyterLab,
through `bai launch`'s tunnel, and through the official `backend.ai app` proxy, with the manager
(`bai-testkit`) 0, 20 and 100 ms of round trip away over ws:// and wss://. Every piece is a
process of its own. Prints figures and ratios; never fails on a number. Then the notebook's
time to usable (sign-in URL or direct /lab to JupyterLab's launcher rendered) in a real
WebKitGTK window, through ttu.py, which it runs with Debian's python3 (PyGObject, WebKit2 4.1).

Python standard library only (ttu.py: PyGObject).
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

MIB = 1024 * 1024


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds, proc=None):
    end = time.time() + seconds
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")


# ---------------------------------------------------------------- a small HTTP/1.1 client


class Target:
    """Where one column's requests go, and what they carry."""

    def __init__(self, label, host, port, headers, pid=None):
        self.label, self.host, self.port, self.headers, self.pid = label, host, port, headers, pid

    def request(self, path):
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Conn:
    def __init__(self, t):
        self.t = t
        self.sock = socket.create_connection((t.host, t.port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self, n=256 * 1024):
        d = self.sock.recv(n)
        if not d:
            raise ConnectionError("the connection closed")
        self.buf += d

    def get(self, path, sink=False):
        """One request; returns (status, body or its length, seconds to the first byte)."""
        t0 = time.perf_counter()
        self.sock.sendall(self.t.request(path))
        while not self.buf:
            self._fill()
        first = time.perf_counter() - t0
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdr = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdr[k.strip().lower()] = v.strip()
        if "content-length" in hdr:
            body = self._exact(int(hdr["content-length"]), sink)
        elif hdr.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked(sink)
        else:
            body = self._exact(0, sink)
        return status, body, first

    def _exact(self, n, sink):
        if sink:
            got = min(n, len(self.buf))
            self.buf = self.buf[got:]
            while got < n:
                d = self.sock.recv_into(_SINK, min(len(_SINK), n - got))
                if not d:
                    raise ConnectionError("the body was cut")
                got += d
            return n
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return body

    def _chunked(self, sink):
        out = []
        total = 0
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n" not in self.buf:
                    self._fill()
                self.buf = self.buf.split(b"\r\n", 1)[1]
                return total if sink else b"".join(out)
            while len(self.buf) < size + 2:
                self._fill()
            out.append(self.buf[:size])
            total += size
            self.buf = self.buf[size + 2:]


_SINK = bytearray(1024 * 1024)


def timed_fresh(t, path="/api"):
    t0 = time.perf_counter()
    c = Conn(t)
    try:
        c.sock.sendall(t.request(path))
        while not c.buf:
            c._fill()
        ttfb = time.perf_counter() - t0
        c.buf = b""
        return ttfb
    finally:
        c.close()


def parallel(n, fn):
    out = [None] * n
    errs = []

    def run(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errs.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errs:
        raise errs[0]
    return out


def cpu_seconds(pid):
    if pid is None:
        return None
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


def memory_kib(pid):
    if pid is None:
        return None, None
    rss = hwm = None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


# ---------------------------------------------------------------- the figures


def measure(t, a, assets, lab_path):
    f = {}
    # The notebook opens (the page on one connection), then the browser's first burst:
    # `a.burst` fresh connections at once, each timed to its first byte.
    c = Conn(t)
    status, _, _ = c.get(lab_path)
    assert status == 200, f"{t.label}: GET {lab_path} -> {status}"
    burst = parallel(a.burst, lambda i: timed_fresh(t))
    c.close()
    f["burst_max"] = max(burst)
    f["burst_p50"] = statistics.median(burst)
    f["burst_all"] = burst

    # First byte on a new connection, one at a time with a pause between (a click now and
    # then).
    samples = []
    for _ in range(a.samples):
        time.sleep(a.pause)
        samples.append(timed_fresh(t))
    f["fresh_p50"] = statistics.median(samples)
    f["fresh_max"] = max(samples)

    # A browser's pattern: 6 fresh connections at once, 10 requests each.
    def browse(i):
        c = Conn(t)
        try:
            for k in range(10):
                status, _, _ = c.get(assets[(i * 10 + k) % len(assets)], sink=True)
                assert status == 200, f"{t.label}: asset -> {status}"
        finally:
            c.close()

    time.sleep(a.pause)
    t0 = time.perf_counter()
    parallel(6, browse)
    f["browse"] = time.perf_counter() - t0

    # JupyterLab's /lab, then its static assets over 6 connections (the page's own kept).
    time.sleep(a.pause)
    t0 = time.perf_counter()
    c = Conn(t)
    status, _, _ = c.get(lab_path)
    assert status == 200
    queue = list(assets)
    lock = threading.Lock()
    nbytes = [0]

    def fetch(i):
        conn = c if i == 0 else Conn(t)
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    p = queue.pop()
                status, n, _ = conn.get(p, sink=True)
                assert status == 200, f"{t.label}: {p} -> {status}"
                with lock:
                    nbytes[0] += n
        finally:
            conn.close()

    parallel(6, fetch)
    f["lab"] = time.perf_counter() - t0
    f["lab_bytes"] = nbytes[0]

    # Bulk: best of two downloads; the proxy's CPU over both.
    cpu0 = cpu_seconds(t.pid)
    best = 0.0
    for _ in range(2):
        c = Conn(t)
        t0 = time.perf_counter()
        status, n, _ = c.get("/files/blob.bin", sink=True)
        el = time.perf_counter() - t0
        c.close()
        assert status == 200 and n == a.mib * MIB, f"{t.label}: bulk {status} {n}"
        best = max(best, n / MIB / el)
    f["bulk"] = best
    cpu1 = cpu_seconds(t.pid)
    f["cpu_per_gib"] = None if cpu0 is None else (cpu1 - cpu0) / (2 * a.mib / 1024)
    f["rss"], f["hwm"] = memory_kib(t.pid)
    return f


# ---------------------------------------------------------------- the processes


class Procs:
    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGINT):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


def start_jupyter(a, procs, tmp):
    root = os.path.join(tmp, "work")
    os.makedirs(root)
    with open(os.path.join(root, "blob.bin"), "wb") as f:
        block = os.urandom(MIB)
        for _ in range(a.mib):
            f.write(block)
    token = secrets.token_hex(24)
    port = free_port()
    env = dict(os.environ)
    # The token reaches JupyterLab through its environment, not its command line.
    env.update(
        JUPYTER_TOKEN=token,
        JUPYTER_CONFIG_DIR=os.path.join(tmp, "jconfig"),
        JUPYTER_RUNTIME_DIR=os.path.join(tmp, "jruntime"),
    )
    p = procs.start(
        [a.jupyter, "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "jupyter.log"), "wb"),
        start_new_session=True,
    )
    wait_port(port, 90, p)
    return p, port, token


def start_testkit(a, procs, rtt, https):
    args = [a.testkit, "--jupyter", "off", "--schedule-ms", "10", "--delay-ms", str(rtt)]
    if https:
        args.append("--https")
    p = procs.start(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    ready = json.loads(p.stdout.readline())
    return p, ready


def control(ready, ca_file, path, body):
    ctx = ssl.create_default_context(cafile=ca_file) if ca_file else None
    req = urllib.request.Request(
        ready["manager_direct_url"] + path, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {ready['control_token']}",
                 "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        r.read()


def authorize(url):
    """GET the auth URL; the tunnel's cookie (`name=value`)."""
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("GET", f"{u.path}?{u.query}")
    r = c.getresponse()
    r.read()
    cookie = r.getheader("Set-Cookie")
    c.close()
    assert r.status in (200, 302) and cookie, f"auth URL: {r.status}"
    return u.hostname, u.port, cookie.split(";")[0]


def run_config(a, procs, tmp, jport, jtoken, rtt, https, assets, ttu):
    scheme = "wss" if https else "ws"
    log(f"--- {rtt} ms, {scheme}://")
    kit, ready = start_testkit(a, procs, rtt, https)
    ca_file = None
    if https:
        ca_file = os.path.join(tmp, f"ca-{rtt}.pem")
        with open(ca_file, "w") as f:
            f.write(ready["ca_pem"])
    for app in ("jupyterlab", "jupyter"):
        control(ready, ca_file, "/__testkit/app-target", {"app": app, "addr": f"127.0.0.1:{jport}"})
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("BACKEND_") or k == "BAI_PROFILE":
            del env[k]
    env.update(
        BACKEND_ENDPOINT=ready["manager_url"],
        BACKEND_ENDPOINT_TYPE="api",
        BACKEND_ACCESS_KEY=ready["access_key"],
        BACKEND_SECRET_KEY=ready["secret_key"],
        BAI_CONFIG_DIR=os.path.join(tmp, f"bai-config-{rtt}-{scheme}"),
        HOME=env.get("HOME", tmp),
    )
    if ca_file:
        # rustls (through the platform verifier) reads it like OpenSSL does.
        env["SSL_CERT_FILE"] = ca_file
    name = f"bench-{rtt}-{scheme}"
    t_launch = time.perf_counter()
    bai = procs.start(
        [a.bai, "launch", "--no-open", "--image", "python", "--name", name, "--app", "jupyterlab"],
        env=env, stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, f"bai-{name}.log"), "wb"),
    )
    url = bai.stdout.readline().decode().strip()
    if not url.startswith("http"):
        raise RuntimeError(f"bai launch printed no URL (see {tmp}/bai-{name}.log)")
    launch_s = time.perf_counter() - t_launch
    host, port, cookie = authorize(url)
    jh = {"Authorization": f"token {jtoken}", "User-Agent": "bai-tunnel-bench"}
    targets = [
        Target("direct", "127.0.0.1", jport, jh),
        Target("bai", host, port, {**jh, "Cookie": cookie}, pid=bai.pid),
    ]
    official = None
    if a.official:
        oport = free_port()
        # Over wss:// it verifies the testkit's certificate as bai does: Python's default
        # context trusts the run's CA through SSL_CERT_FILE.
        oenv = dict(env)
        official = procs.start(
            [a.official, "app", name, "jupyterlab", "-b", f"127.0.0.1:{oport}"],
            env=oenv, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(tmp, f"official-{name}.log"), "wb"),
        )
        try:
            wait_port(oport, 60, official)
        except RuntimeError:
            with open(os.path.join(tmp, f"official-{name}.log")) as f:
                log("the official proxy failed:\n" + f.read()[-3000:])
            raise
        targets.append(Target("official", "127.0.0.1", oport, jh, pid=official.pid))
    results = {}
    for t in targets:
        results[t.label] = measure(t, a, assets, "/lab")
    results["_launch"] = launch_s
    if official:
        procs.stop(official)
    if ttu is not None and rtt in a.ttu_rtts:
        results["_ttu"] = ttu_config(a, ttu, env, tmp, name, jport, jtoken)
    procs.stop(bai)
    procs.stop(kit)
    return results


# ---------------------------------------------------------------- notebook time to usable


class Ttu:
    """ttu.py in a real WebKitGTK window, one process for the run (started at the first use);
    `why` says why there is no figure when it cannot run."""

    def __init__(self, a, procs, tmp):
        self.a, self.procs, self.tmp = a, procs, tmp
        self.p = None
        self.why = None
        self.webkit = None
        self.noise = []

    def _start(self):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ttu.py")
        cmd = [self.a.ttu_python, script]
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            if not shutil.which("xvfb-run"):
                self.why = "no display and no xvfb-run (package xvfb)"
                return
            cmd = ["xvfb-run", "-a"] + cmd
        # xvfb-run sends the command's stderr to stdout: lines that are not JSON are noise,
        # kept to say why when something fails.
        self.p = self.procs.start(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        first = self._read(60)
        if not first or not first.get("ready"):
            self.why = "ttu.py did not start: " + (self._tail() or "no answer in 60 s")
            self.stop()
            return
        self.webkit = first.get("webkit")

    def _tail(self):
        return " | ".join(line for line in self.noise[-3:] if line)[-400:]

    def _read(self, seconds):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.p.stdout, selectors.EVENT_READ)
        end = time.time() + seconds
        try:
            while time.time() < end:
                if not sel.select(max(0.0, end - time.time())):
                    return None
                line = self.p.stdout.readline()
                if not line:
                    return None
                text = line.decode(errors="replace").strip()
                try:
                    v = json.loads(text)
                    if isinstance(v, dict):
                        return v
                except ValueError:
                    pass
                self.noise.append(text)
            return None
        finally:
            sel.close()

    def load(self, url, token, warm):
        """One load: {"cold_ms", "warm_ms"?} or {"error", "title"?, "uri"?}."""
        if self.p is None and self.why is None:
            self._start()
        if self.why:
            return {"error": self.why}
        timeout = 60
        try:
            self.p.stdin.write((json.dumps({"url": url, "token": token, "warm": warm,
                                            "timeout": timeout}) + "\n").encode())
            self.p.stdin.flush()
        except OSError as e:
            self.why = f"ttu.py is gone ({e}): {self._tail()}"
            return {"error": self.why}
        r = self._read(timeout * (2 if warm else 1) + 30)
        if r is None:
            self.why = f"ttu.py gave no answer: {self._tail() or 'exited'}"
            self.stop()
            return {"error": self.why}
        return r

    def stop(self):
        if self.p is not None:
            try:
                self.p.stdin.close()
                self.p.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.procs.stop(self.p, signal.SIGTERM)
            self.p = None


def ttu_config(a, ttu, env, tmp, name, jport, jtoken):
    """Time to usable for one configuration, direct and through `bai` in turn (so both see
    the same load on the machine): through a new `bai launch --reuse` per load (its sign-in
    URL works once); direct, JupyterLab's /lab with its token."""
    direct = f"http://127.0.0.1:{jport}/lab?token={jtoken}"
    out = {"direct": []}
    loads = []
    for i in range(a.ttu_loads):
        if not any("error" in d for d in out["direct"]):
            out["direct"].append(ttu.load(direct, jtoken, a.ttu_warm))
        log_path = os.path.join(tmp, f"bai-{name}-ttu{i}.log")
        p = subprocess.Popen(
            [a.bai, "launch", "--no-open", "--image", "python", "--reuse", "--name", name,
             "--app", "jupyterlab"],
            env=env, stdout=subprocess.PIPE, stderr=open(log_path, "wb"),
        )
        try:
            url = p.stdout.readline().decode().strip()
            if not url.startswith("http"):
                with open(log_path, errors="replace") as f:
                    r = {"error": "bai launch --reuse printed no URL: " + f.read()[-300:].strip()}
            else:
                r = ttu.load(url, jtoken, a.ttu_warm)
                # The launcher must have come through the tunnel, not from anywhere else.
                origin = "/".join(url.split("/", 3)[:3]) + "/"
                if "error" not in r and not str(r.get("uri", "")).startswith(origin):
                    r = {"error": f"the page ended at {r.get('uri')}, not on the tunnel {origin}"}
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        loads.append(r)
        if "error" in r:
            break  # the rest would fail the same way, a minute each
    out["bai"] = loads
    return out


def ttu_cell(loads, key):
    """`median (each)` in ms, or n/a and why."""
    if not loads:
        return "n/a (not measured)", None
    errs = [r for r in loads if "error" in r]
    if errs:
        e = errs[0]
        where = ""
        if e.get("title") is not None or e.get("uri"):
            where = f"; page: title {e.get('title')!r}, {e.get('uri')}"
        if e.get("load_failed"):
            where += f"; load failed: {e['load_failed']}"
        return f"n/a ({e['error']}{where})", None
    vals = [r[key] for r in loads if key in r]
    if not vals:
        return "—", None
    med = statistics.median(vals)
    return f"{med:.0f} ({', '.join(f'{v:.0f}' for v in vals)})", med


def ttu_table(a, ttu, rows):
    out = [f"\n### Notebook time to usable: load start to JupyterLab's launcher rendered, "
           f"in a WebKitGTK {ttu.webkit or '?'} window (fresh ephemeral view each load), "
           f"ms, median (each load)", ""]
    keys = [("cold_ms", "")] + ([("warm_ms", ", warm reload")] if a.ttu_warm else [])
    out += ["| configuration | direct | bai | bai/direct |", "|---|---|---|---|"]
    for label, r in rows:
        for key, tag in keys:
            dcell, dmed = ttu_cell(r.get("direct"), key)
            bcell, bmed = ttu_cell(r.get("bai"), key)
            ratio = f"{bmed / dmed:.2f}" if dmed and bmed else "—"
            out.append(f"| {label}{tag} | {dcell} | {bcell} | {ratio} |")
    bad = [c for _, r in rows for k in ("direct", "bai") for c in (r.get(k) or []) if "error" in c]
    if bad:
        log("time to usable: NOT measured for some loads (n/a above): " + bad[0]["error"])
    return "\n".join(out)


# ---------------------------------------------------------------- the table


def fmt_ms(s):
    return f"{s * 1000:.1f} ms"


ROWS = [
    ("first byte, new connection (p50)", "fresh_p50", fmt_ms, "low"),
    ("first byte, new connection (max)", "fresh_max", fmt_ms, "low"),
    ("burst after /lab: 6 fresh, first byte max", "burst_max", fmt_ms, "low"),
    ("burst after /lab: 6 fresh, first byte p50", "burst_p50", fmt_ms, "low"),
    ("browser: 6 fresh conns x 10 requests", "browse", fmt_ms, "low"),
    ("/lab + static assets", "lab", fmt_ms, "low"),
    ("bulk download (MiB/s)", "bulk", lambda v: f"{v:.0f}", "high"),
    ("proxy CPU s per GiB", "cpu_per_gib", lambda v: f"{v:.2f}", "low"),
    ("proxy RSS / peak (MiB)", "rss", None, "low"),
]


def table(rtt, scheme, r, a, assets_n, lab_bytes):
    cols = [c for c in ("direct", "bai", "official") if c in r]
    out = [f"\n### {rtt} ms round trip, {scheme}:// "
           f"(bulk {a.mib} MiB, /lab + {assets_n} assets = {lab_bytes / MIB:.1f} MiB, "
           f"`bai launch` to URL {r['_launch']:.2f} s)", ""]
    head = "| figure | " + " | ".join(cols) + " | bai/direct | bai/official |"
    out += [head, "|" + "---|" * (len(cols) + 3)]
    for title, key, fmt, _ in ROWS:
        cells = []
        for c in cols:
            v = r[c].get(key)
            if key == "rss":
                cells.append("—" if v is None else f"{v / 1024:.1f} / {r[c]['hwm'] / 1024:.1f}")
            else:
                cells.append("—" if v is None else fmt(v))

        def ratio(x, y):
            vx, vy = r.get(x, {}).get(key), r.get(y, {}).get(key)
            if not vx or not vy:
                return "—"
            return f"{vx / vy:.2f}"

        out.append(f"| {title} | " + " | ".join(cells) + f" | {ratio('bai', 'direct')} | "
                   f"{ratio('bai', 'official')} |")
    if "bai" in r and "direct" in r:
        bound = 1.1 * (rtt / 1000 + r["direct"]["burst_max"])
        each = ", ".join(f"{v * 1000:.1f}" for v in r["bai"]["burst_all"])
        ok = all(v <= bound for v in r["bai"]["burst_all"])
        out.append("")
        out.append(f"bai burst first bytes: {each} ms; 1.1 x (RTT + direct) = {bound * 1000:.1f} ms: "
                   f"{'within' if ok else 'NOT within'}")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bai", required=True)
    p.add_argument("--testkit", required=True)
    p.add_argument("--jupyter", required=True)
    p.add_argument("--official", default="")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rtt", default="0,20,100")
    p.add_argument("--schemes", default="ws,wss")
    p.add_argument("--no-ttu", action="store_true", help="skip the notebook time to usable")
    p.add_argument("--ttu-python", default="/usr/bin/python3",
                   help="a python3 with PyGObject and WebKit2 4.1 (ttu.py)")
    a = p.parse_args()
    # Time to usable (a real window, seconds a load on a busy 2-core machine): --quick
    # takes 0 and 20 ms, 2 loads each way per configuration, no warm reload.
    a.ttu_loads = 2 if a.quick else 3
    a.ttu_warm = not a.quick
    a.ttu_rtts = {0, 20} if a.quick else {int(x) for x in a.rtt.split(",")}
    a.mib = 32 if a.quick else 64
    a.samples = 5 if a.quick else 20
    a.pause = 0.2
    a.burst = 6
    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="bai-tunnel-bench-")
    os.chmod(tmp, 0o700)
    started = time.time()
    ttu = None if a.no_ttu else Ttu(a, procs, tmp)
    ttu_rows = []
    try:
        jupyter, jport, jtoken = start_jupyter(a, procs, tmp)
        jdirect = Target("direct", "127.0.0.1", jport, {"Authorization": f"token {jtoken}"})
        c = Conn(jdirect)
        _, html, _ = c.get("/lab")
        c.close()
        html = html.decode()
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        cfg = json.loads(re.search(r'id="jupyter-config-data"[^>]*>(.*?)</script>', html, re.S).group(1))
        for ext in cfg.get("federated_extensions", []):
            assets.append(f"/lab/extensions/{ext['name']}/{ext['load']}")
        static = sorted(os.listdir(cfg["staticDir"]))
        if a.quick:
            static = static[:60]
        assets += [f"/static/lab/{n}" for n in static if os.path.isfile(os.path.join(cfg["staticDir"], n))]
        log(f"JupyterLab on 127.0.0.1:{jport}; {len(assets)} assets")
        for scheme in a.schemes.split(","):
            for rtt in (int(x) for x in a.rtt.split(",")):
                r = run_config(a, procs, tmp, jport, jtoken, rtt, scheme == "wss", assets, ttu)
                lab_bytes = r["direct"]["lab_bytes"]
                print(table(rtt, scheme, r, a, len(assets), lab_bytes), flush=True)
                if "_ttu" in r:
                    ttu_rows.append((f"{rtt} ms {scheme}", r["_ttu"]))
        if ttu is not None:
            ttu.stop()
            if ttu_rows:
                print(ttu_table(a, ttu, ttu_rows), flush=True)
        procs.stop(jupyter, signal.SIGTERM)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
