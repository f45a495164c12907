#!/usr/bin/python3
"""Notebook time to usable, in a real WebKitGTK window (the engine of the app's windows).

Run by bench.py with Debian's python3 (PyGObject, WebKit2 4.1: python3-gi and
gir1.2-webkit2-4.1, installed by scripts/setup-system.sh) on a display (bench.py wraps it in
`xvfb-run -a` when there is none). One JSON object a line on stdin, one answer a line on stdout:

    {"url": URL, "token": JUPYTER_TOKEN, "timeout": 60, "warm": true}
    -> {"cold_ms": N, "warm_ms": N, "uri": WHERE} or {"error": WHY, "title": ..., "uri": ...}

Each load gets a window with a new WebView in a new ephemeral WebContext (no cache, cookies
or connections shared with any other load). The view first loads about:blank, so its web
process is up, as in a notebook window that exists; then the clock starts, URL is loaded, and
the page is polled (every 10 ms) until JupyterLab's launcher is rendered: a `.jp-Launcher`
with at least one `.jp-LauncherCard`, both with a non-empty box. `warm_ms`: the same, loading
the page's /lab again in the same view (its cache, cookies and kept-alive connections warm).

JupyterLab's token: a Backend.AI session's JupyterLab needs none (the app proxy is the check);
the bench's JupyterLab has one (it listens on TCP), so a top-level navigation to `/lab` without
`token=` (the tunnel's sign-in page sends the browser to `/`, which JupyterLab redirects to
`/lab`) is sent on with `?token=` added, as a direct link carries it. The token comes on stdin,
never on a command line.
"""

import json
import sys
import threading
import time
import urllib.parse

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

PROBE = """(function () {
  function shown(e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }
  var l = document.querySelector('.jp-Launcher');
  var c = l && l.querySelector('.jp-LauncherCard');
  return JSON.stringify({ok: !!(l && c && shown(l) && shown(c)), title: document.title,
                         uri: location.href.replace(/token=[^&]*/, 'token=…')});
})()"""


def redact(uri):
    return None if uri is None else uri.split("?", 1)[0] + ("?…" if "?" in uri else "")


class Load:
    def __init__(self, job, done):
        self.job, self.done = job, done
        self.token = job.get("token", "")
        self.timeout = float(job.get("timeout", 60))
        self.result = {}
        self.last = {}
        self.busy = False
        self.ctx = WebKit2.WebContext.new_ephemeral()
        self.ctx.set_cache_model(WebKit2.CacheModel.WEB_BROWSER)
        self.view = WebKit2.WebView.new_with_context(self.ctx)
        self.view.connect("decide-policy", self.on_policy)
        self.view.connect("load-changed", self.on_load)
        self.view.connect("load-failed", self.on_failed)
        self.failed = None
        self.replaced = set()
        self.ended = False
        self.phase = "blank"
        self.committed = False
        self.win = Gtk.Window()
        self.win.set_default_size(1280, 800)
        self.win.add(self.view)
        self.win.show_all()
        self.blank = self.view.connect("load-changed", self.on_blank)
        self.view.load_uri("about:blank")

    def on_blank(self, view, event):
        if event == WebKit2.LoadEvent.FINISHED:
            view.disconnect(self.blank)
            self.start("cold", self.job["url"])

    def on_load(self, view, event):
        if event == WebKit2.LoadEvent.COMMITTED:
            self.committed = True

    def on_failed(self, view, event, uri, error):
        # A navigation this script replaced (the token added) is interrupted: not a failure.
        if uri not in self.replaced and not error.matches(
                WebKit2.network_error_quark(), WebKit2.NetworkError.CANCELLED):
            self.failed = f"{redact(uri)}: {error.message}"
            # No page will come: say so now rather than at the timeout.
            self.finish({"error": f"the {self.phase} load failed", "title": view.get_title(),
                         "uri": redact(view.get_uri()), "load_failed": self.failed})
        return False

    def on_policy(self, view, decision, kind):
        if kind != WebKit2.PolicyDecisionType.NAVIGATION_ACTION or not self.token:
            return False
        uri = decision.get_navigation_action().get_request().get_uri()
        u = urllib.parse.urlsplit(uri)
        if u.path.rstrip("/") == "/lab" and "token=" not in u.query:
            q = (u.query + "&" if u.query else "") + "token=" + urllib.parse.quote(self.token)
            self.replaced.add(uri)
            decision.ignore()
            GLib.idle_add(lambda: view.load_uri(urllib.parse.urlunsplit(u._replace(query=q))) and False)
            return True
        return False

    def start(self, phase, url):
        self.phase = phase
        self.last = {}
        self.committed = False
        self.t0 = time.monotonic()
        self.view.load_uri(url)
        GLib.timeout_add(10, self.poll)

    def poll(self):
        if self.ended:
            return False
        if self.busy:
            return False  # on_probe schedules the next one
        elapsed = time.monotonic() - self.t0
        if elapsed > self.timeout:
            self.finish({"error": f"no launcher within {self.timeout:.0f} s ({self.phase} load)",
                         "title": self.last.get("title", self.view.get_title()),
                         "uri": self.last.get("uri", redact(self.view.get_uri())),
                         **({"load_failed": self.failed} if self.failed else {})})
            return False
        self.busy = True
        self.view.evaluate_javascript(PROBE, -1, None, None, None, self.on_probe)
        return False

    def on_probe(self, view, res):
        self.busy = False
        if self.ended:
            return
        t = time.monotonic() - self.t0
        try:
            v = json.loads(view.evaluate_javascript_finish(res).to_string())
            self.last = v
        except (GLib.Error, ValueError):
            v = {}  # the page is changing
        # Until the new page is committed, the probe may see the one before it.
        if v.get("ok") and self.committed:
            self.result[f"{self.phase}_ms"] = round(t * 1000, 1)
            self.result["uri"] = v.get("uri")
            if self.phase == "cold" and self.job.get("warm"):
                u = urllib.parse.urlsplit(view.get_uri())
                self.start("warm", urllib.parse.urlunsplit(u._replace(path="/lab", query="", fragment="")))
            else:
                self.finish(self.result)
            return
        GLib.timeout_add(10, self.poll)

    def finish(self, result):
        if self.ended:
            return
        self.ended = True
        GLib.idle_add(lambda: self.win.destroy() and False)
        self.done(result)


def main():
    Gtk.init(None)

    def reader():
        for line in sys.stdin:
            GLib.idle_add(handle, line)
        GLib.idle_add(Gtk.main_quit)

    def answer(r):
        print(json.dumps(r), flush=True)

    def handle(line):
        line = line.strip()
        if line:
            try:
                Load(json.loads(line), answer)
            except Exception as e:  # noqa: BLE001 - the bench prints it
                answer({"error": f"{type(e).__name__}: {e}"})
        return False

    threading.Thread(target=reader, daemon=True).start()
    print(json.dumps({"ready": True, "webkit": "%d.%d.%d" % (
        WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())}),
        flush=True)
    Gtk.main()


if __name__ == "__main__":
    main()
