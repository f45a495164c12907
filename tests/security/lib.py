"""Helpers of the security suite: processes, a raw HTTP client, the probe app, the attacker's
servers, /proc inspection and the WebKitGTK driver. Python 3 standard library only (the
browser itself runs in browser.py, which needs Debian's python3-gi)."""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
PAGES = os.path.join(HERE, "pages")


# ---------------------------------------------------------------- results


class Results:
    """One line per check: `PASS name: detail` / `FAIL name: detail` (or SKIP outside CI)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = []
        self.failures = []
        self.known = []

    def check(self, name, ok, detail, known=False):
        """`known`: a failure here is a documented limitation (README), shown as KNOWN and not
        counted, unless BAI_SEC_STRICT=1."""
        detail = " ".join(str(detail).split())
        if not ok and known and os.environ.get("BAI_SEC_STRICT") != "1":
            self.known.append(name)
            print(f"KNOWN {name}: {detail}", flush=True)
            return False
        if ok:
            self.passed += 1
            print(f"PASS {name}: {detail}", flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL {name}: {detail}", flush=True)
        return ok

    def fail(self, name, detail):
        return self.check(name, False, detail)

    def skip(self, name, detail):
        self.skipped.append(name)
        print(f"SKIP {name}: {detail}", flush=True)


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# ---------------------------------------------------------------- processes


class Live:
    """A running process whose stdout and stderr are collected (as bytes) while it runs."""

    def __init__(self, argv, env=None, log_name=None, log_dir=None, stdin=subprocess.DEVNULL):
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.pid = self.proc.pid
        self.out = bytearray()
        self.err = bytearray()
        self.lock = threading.Lock()
        self.log_path = os.path.join(log_dir, log_name) if (log_dir and log_name) else None
        self.threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for t in self.threads:
            t.start()

    def _pump(self, f, buf):
        while True:
            chunk = f.read1(65536) if hasattr(f, "read1") else f.read(65536)
            if not chunk:
                break
            with self.lock:
                buf.extend(chunk)

    def stdout_text(self):
        with self.lock:
            return bytes(self.out).decode("utf-8", "replace")

    def stderr_text(self):
        with self.lock:
            return bytes(self.err).decode("utf-8", "replace")

    def lines(self):
        return self.stdout_text().splitlines()

    def all_lines(self):
        """Result lines (stdout) then progress and messages (stderr), as `bai` splits them."""
        return self.lines() + self.stderr_text().splitlines()

    def wait_line(self, pred, timeout):
        """The first line matching `pred`, on stdout or stderr (`bai` prints results on stdout
        and progress such as "ready:" and "tunnel on" on stderr); raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.all_lines():
                if pred(line):
                    return line
            if self.proc.poll() is not None:
                time.sleep(0.1)
                for line in self.all_lines():
                    if pred(line):
                        return line
                raise TimeoutError(
                    f"{self.argv[0]} exited ({self.proc.returncode}) before the line; "
                    f"stdout: {self.stdout_text()[-1500:]!r} stderr: {self.stderr_text()[-1500:]!r}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"no such line within {timeout}s; stdout: {self.stdout_text()[-1500:]!r} "
                    f"stderr: {self.stderr_text()[-1500:]!r}"
                )
            time.sleep(0.05)

    def interrupt(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout=20):
        """SIGINT, then wait; SIGKILL if it does not stop. Returns the exit code."""
        self.interrupt()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for t in self.threads:
            t.join(timeout=2)
        self.save_log()
        return self.proc.returncode

    def save_log(self):
        if self.log_path:
            with open(self.log_path, "wb") as f:
                f.write(b"$ " + " ".join(self.argv).encode() + b"\n--- stdout\n")
                f.write(bytes(self.out))
                f.write(b"\n--- stderr\n")
                f.write(bytes(self.err))


def run(argv, env=None, stdin=b"", timeout=60):
    """Run to completion: (code, stdout bytes, stderr bytes)."""
    p = subprocess.run(argv, env=env, input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


# ---------------------------------------------------------------- /proc


def all_cmdlines():
    """{pid: argv string} of every process we can see (what `ps` shows every local user)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                out[int(d)] = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            pass
    return out


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        return int(s[s.rindex(")") + 2:].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root):
    """Every live process below `root` (not itself)."""
    parents = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            pp = parent_of(int(d))
            if pp is not None:
                parents[int(d)] = pp
    found, frontier = set(), {root}
    while frontier:
        nxt = {p for p, pp in parents.items() if pp in frontier and p not in found}
        found |= nxt
        frontier = nxt
    return found


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def socket_inodes(pid):
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", link)
            if m:
                inodes.add(int(m.group(1)))
    except OSError:
        pass
    return inodes


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def _hex_addr(h):
    ip, port = h.split(":")
    port = int(port, 16)
    if len(ip) == 8:
        addr = socket.inet_ntop(socket.AF_INET, bytes.fromhex(ip)[::-1])
    else:
        raw = bytes.fromhex(ip)
        addr = socket.inet_ntop(
            socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
        )
    return addr, port


def tcp_sockets():
    """[(local_addr, local_port, state_hex, inode)] from /proc/net/tcp and tcp6."""
    rows = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    addr, port = _hex_addr(cols[1])
                    rows.append((addr, port, cols[3], int(cols[9])))
        except OSError:
            pass
    return rows


def listening_tcp(pids):
    """{(addr, port)} that any of `pids` listens on (TCP, v4 and v6)."""
    inodes = set()
    for p in pids:
        inodes |= socket_inodes(p)
    return {(a, p) for a, p, st, ino in tcp_sockets() if st == "0A" and ino in inodes}


def established_to(addr, port):
    return sum(1 for a, p, st, _ in tcp_sockets() if st == "01" and a == addr and p == port)


def mode_of(path):
    return os.lstat(path).st_mode & 0o7777


# ---------------------------------------------------------------- raw HTTP


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(lower name, value)]
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def all(self, name):
        return [v for k, v in self.headers if k == name]

    def __repr__(self):
        return f"<{self.status} {self.body[:80]!r}>"


class Raw:
    """One TCP connection, with requests written as bytes and responses parsed by hand, so that
    keep-alive, pipelining and the server closing the connection are all visible."""

    def __init__(self, host, port, timeout=5.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("the server closed the connection")
        self.buf += d

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, head_request=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = []
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers.append((k.strip().lower(), v.strip()))
        r = Resp(status, headers, b"")
        if head_request or status in (101, 204, 304) or 100 <= status < 200:
            return r
        te = (r.header("transfer-encoding") or "").lower()
        if "chunked" in te:
            body = b""
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line() != b"":
                        pass
                    break
                body += self._take(size)
                self._take(2)
            r.body = body
        elif r.header("content-length") is not None:
            r.body = self._take(int(r.header("content-length")))
        else:
            try:
                while True:
                    self._fill()
            except (EOFError, OSError):
                pass
            r.body, self.buf = self.buf, b""
        return r

    def closed_by_peer(self, wait=2.0):
        """True when the server has closed (EOF or reset) and sent nothing more."""
        if self.buf:
            return False
        self.s.settimeout(wait)
        try:
            d = self.s.recv(1)
            if d:
                self.buf += d
                return False
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        finally:
            self.s.settimeout(self.timeout)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def request(method, path, host, headers=(), body=b""):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for k, v in headers:
        lines.append(f"{k}: {v}")
    if body or method in ("POST", "PUT", "PATCH"):
        if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in headers):
            lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def one_shot(host, port, raw_request, timeout=5.0):
    c = Raw(host, port, timeout)
    try:
        c.send(raw_request)
        return c.read_response(head_request=raw_request.startswith(b"HEAD "))
    finally:
        c.close()


def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def ws_accept(key):
    return base64.b64encode(
        hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    ).decode()


def split_url(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port, (u.path or "/") + (("?" + u.query) if u.query else "")


# ---------------------------------------------------------------- servers


def _read_body(handler):
    te = (handler.headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        body = b""
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline().strip():
                    pass
                return body
            body += handler.rfile.read(size)
            handler.rfile.readline()
    n = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(n) if n else b""


class Recorder:
    """A threaded HTTP/1.1 server that records every request it receives."""

    def __init__(self, host, handler_fn, name):
        self.log = []
        self.lock = threading.Lock()
        self.name = name
        recorder = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = name
            # Headers and body leave at once: Nagle plus delayed ACKs would add 40 ms to
            # kept-alive answers, which is the app's delay, not the tunnel's.
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def _any(self):
                body = _read_body(self)
                entry = {
                    "t": time.monotonic(),
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "cookie": "; ".join(self.headers.get_all("Cookie") or []),
                    "body": body[:1_000_000].decode("utf-8", "replace"),
                    "peer": self.client_address[0],
                }
                with recorder.lock:
                    recorder.log.append(entry)
                handler_fn(self, entry)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _any

        self.server = ThreadingHTTPServer((host, 0), H)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self):
        return f"http://{self.host}:{self.port}"

    def entries(self):
        with self.lock:
            return list(self.log)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def reply(h, status, body, ctype="text/plain; charset=utf-8", extra=()):
    data = body.encode() if isinstance(body, str) else body
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(data)))
    h.send_header("Cache-Control", "no-store")
    for k, v in extra:
        h.send_header(k, v)
    # Head and body in one write, as most servers answer a small request: two segments on a
    # kept-alive connection meet Nagle and delayed ACKs on the way back through the testkit's
    # WebSocket (its listener does not set TCP_NODELAY) and cost 40 ms that are not the tunnel's.
    h._headers_buffer.append(b"\r\n")
    if h.command != "HEAD":
        h._headers_buffer.append(data)
    h.flush_headers()


def page(name):
    with open(os.path.join(PAGES, name), "rb") as f:
        return f.read()


def probe_app_handler(h, entry):
    """The app behind the probe tunnel: echoes what it saw, sets a cookie of its own, serves
    the leak page (a page inside the tunnel, as a notebook's output would be) and accepts
    WebSocket upgrades."""
    if (h.headers.get("Upgrade") or "").lower() == "websocket":
        key = h.headers.get("Sec-WebSocket-Key") or ""
        h.send_response(101)
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", ws_accept(key))
        h.end_headers()
        h.wfile.flush()
        time.sleep(0.3)
        h.close_connection = True
        return
    path = urllib.parse.urlsplit(h.path).path
    if path == "/leak.html":
        return reply(h, 200, page("leak.html"), "text/html; charset=utf-8")
    extra = [("Set-Cookie", "app_cookie=from-the-app; Path=/")] if path == "/" else []
    body = f"probe app saw {entry['method']} {entry['path']}"
    if path == "/":
        return reply(h, 200, f"<!doctype html><title>probe app</title><p>{body}</p>",
                     "text/html; charset=utf-8", extra)
    reply(h, 200, body, extra=extra)


def attacker_handler(h, entry):
    """The attacker's server: serves attack pages, takes reports, logs every Cookie header."""
    path = urllib.parse.urlsplit(h.path).path
    cors = [("Access-Control-Allow-Origin", "*")]
    if h.command == "OPTIONS":
        return reply(h, 204, b"", extra=cors + [("Access-Control-Allow-Headers", "*"),
                                               ("Access-Control-Allow-Methods", "*")])
    if path.endswith(".html") and os.path.exists(os.path.join(PAGES, path.lstrip("/"))):
        return reply(h, 200, page(path.lstrip("/")), "text/html; charset=utf-8")
    if path.endswith(".js"):
        return reply(h, 200, "/* attacker script */", "text/javascript", cors)
    reply(h, 200, "ok", extra=cors)


def reports(recorder, kind):
    """The JSON bodies the pages POSTed to /report/<kind>."""
    out = []
    for e in recorder.entries():
        if e["method"] == "POST" and urllib.parse.urlsplit(e["path"]).path == f"/report/{kind}":
            try:
                out.append(json.loads(e["body"]))
            except ValueError:
                out.append({"unparsed": e["body"]})
    return out


# ---------------------------------------------------------------- the browser


class Browser:
    """browser.py (WebKitGTK 4.1 through python3-gi) as a child process: one WebView with one
    cookie jar, driven one command at a time over stdin/stdout."""

    PREFIX = "@@BROWSER "

    def __init__(self, python, log_dir):
        self.log = open(os.path.join(log_dir, "browser.log"), "ab")
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, "browser.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.replies = []
        self.cv = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()
        self.ready = self._wait(60)

    def _pump(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            if line.startswith(self.PREFIX):
                with self.cv:
                    self.replies.append(json.loads(line[len(self.PREFIX):]))
                    self.cv.notify_all()
            else:
                self.log.write(raw)
                self.log.flush()
        with self.cv:
            self.replies.append({"ok": False, "error": "the browser process exited"})
            self.cv.notify_all()

    def _wait(self, timeout):
        deadline = time.monotonic() + timeout
        with self.cv:
            while not self.replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"ok": False, "error": f"no answer from the browser in {timeout}s"}
                self.cv.wait(left)
            return self.replies.pop(0)

    def load(self, url, until_uri=None, until_title=None, timeout=20):
        cmd = {"cmd": "load", "url": url, "until_uri": until_uri, "until_title": until_title,
               "timeout": timeout}
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        return self._wait(timeout + 10)

    def close(self):
        try:
            self.proc.stdin.write(b'{"cmd": "quit"}\n')
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- JupyterLab through a tunnel


class JupyterClient:
    """Talks to a JupyterLab through a tunnel as the launcher's own window would: with the
    tunnel's cookie, the tunnel's own Origin and JupyterLab's XSRF token."""

    def __init__(self, host, port, cookie):
        self.host, self.port, self.cookie = host, port, cookie
        self.xsrf = None

    def _req(self, method, path, body=None):
        c = http.client.HTTPConnection(self.host, self.port, timeout=20)
        headers = {"Cookie": self.cookie + (f"; _xsrf={self.xsrf}" if self.xsrf else ""),
                   "Origin": f"http://{self.host}:{self.port}"}
        if self.xsrf:
            headers["X-XSRFToken"] = self.xsrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        out = r.status, r.getheaders(), r.read()
        c.close()
        return out

    def login(self):
        """GET /lab for the `_xsrf` cookie, as JupyterLab's page does."""
        status, headers, _ = self._req("GET", "/lab")
        for k, v in headers:
            if k.lower() == "set-cookie" and v.startswith("_xsrf="):
                self.xsrf = v.split(";", 1)[0].split("=", 1)[1]
        return status

    def kernels(self):
        status, _, body = self._req("GET", "/api/kernels")
        if status != 200:
            raise RuntimeError(f"GET /api/kernels through the tunnel: {status} {body[:200]!r}")
        return sorted(k["id"] for k in json.loads(body))

    def contents(self):
        status, _, body = self._req("GET", "/api/contents")
        if status != 200:
            raise RuntimeError(f"GET /api/contents through the tunnel: {status} {body[:200]!r}")
        return sorted(c["name"] for c in json.loads(body)["content"])

    def put_file(self, name, text):
        status, _, body = self._req("PUT", f"/api/contents/{name}",
                                    {"type": "file", "format": "text", "content": text})
        if status not in (200, 201):
            raise RuntimeError(f"PUT /api/contents/{name} (same origin, with the cookie): {status} {body[:300]!r}")

    def start_kernel(self):
        status, _, body = self._req("POST", "/api/kernels", {})
        if status != 201:
            raise RuntimeError(f"POST /api/kernels (same origin, with the cookie): {status} {body[:300]!r}")
        return json.loads(body)["id"]


def find_jupyter_server(root_pid):
    """(pid, argv) of the JupyterLab server below `root_pid`."""
    for p in sorted(descendants(root_pid)):
        argv = cmdline(p)
        names = [os.path.basename(a) for a in argv[:3]]
        is_lab = "jupyter-lab" in names or ("jupyter" in names and "lab" in argv)
        if is_lab and any(a.startswith("--ServerApp") for a in argv):
            return p, argv
    return None, None


def jupyter_root_dir(argv):
    for a in argv or []:
        if a.startswith("--ServerApp.root_dir="):
            return a.split("=", 1)[1]
    return None


def kernel_processes(jupyter_pid):
    return sorted(p for p in descendants(jupyter_pid)
                  if any("ipykernel" in a for a in cmdline(p)))
