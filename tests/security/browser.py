"""A real WebKitGTK browser for the security suite: one WebView (one cookie jar, as a user's
browser) in a GTK window under Xvfb, driven over stdin one JSON command per line:

  {"cmd": "load", "url": ..., "until_uri": prefix|null, "until_title": prefix|null, "timeout": s}
  {"cmd": "quit"}

Each command is answered with one stdout line `@@BROWSER {json}`: whether the condition was
met, the final URI and title, and any load failures. Anything else on stdout (console
messages) is only logged by the suite. Needs Debian's python3-gi and gir1.2-webkit2-4.1."""

import json
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402

PREFIX = "@@BROWSER "


def say(obj):
    sys.stdout.write(PREFIX + json.dumps(obj) + "\n")
    sys.stdout.flush()


class Driver:
    def __init__(self):
        # A fresh, in-memory profile: cookies live as long as this process, like a browser
        # session, and nothing of the developer's own browsing is used.
        self.context = WebKit2.WebContext.new_ephemeral()
        self.view = WebKit2.WebView.new_with_context(self.context)
        s = self.view.get_settings()
        s.set_enable_javascript(True)
        s.set_enable_write_console_messages_to_stdout(True)
        s.set_javascript_can_open_windows_automatically(False)
        self.window = Gtk.Window()
        self.window.set_default_size(1024, 768)
        self.window.add(self.view)
        self.window.show_all()
        self.view.connect("load-changed", self.on_load_changed)
        self.view.connect("load-failed", self.on_load_failed)
        self.view.connect("notify::title", self.on_title)
        self.view.connect("web-process-terminated", self.on_crash)
        self.pending = None
        self.timer = None
        self.failures = []
        GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, self.on_stdin)
        say({"ok": True, "webkit": "%d.%d.%d" % (WebKit2.get_major_version(),
                                                   WebKit2.get_minor_version(),
                                                   WebKit2.get_micro_version())})

    def on_stdin(self, fd, cond):
        line = sys.stdin.readline()
        if not line:
            Gtk.main_quit()
            return False
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            Gtk.main_quit()
            return False
        if cmd["cmd"] == "load":
            self.pending = cmd
            self.failures = []
            self.finished_uri = None
            self.timer = GLib.timeout_add(int(cmd.get("timeout", 20) * 1000), self.on_timeout)
            self.view.load_uri(cmd["url"])
        return True

    def state(self):
        return {"uri": self.view.get_uri(), "title": self.view.get_title(),
                "failures": self.failures}

    def done(self, ok, error=None):
        if self.pending is None:
            return
        self.pending = None
        if self.timer:
            GLib.source_remove(self.timer)
            self.timer = None
        out = {"ok": ok, **self.state()}
        if error:
            out["error"] = error
        replied = []

        def reply(text):
            if replied:
                return False
            replied.append(1)
            out["text"] = text
            out["title"] = self.view.get_title()
            say(out)
            return False

        def got(view, result):
            try:
                reply(view.evaluate_javascript_finish(result).to_string())
            except GLib.Error as e:
                reply(f"(page text unavailable: {e.message})")

        # The page's text is evidence too (a 403 page of the tunnel says why it refused).
        try:
            self.view.evaluate_javascript(
                "document.body ? document.body.innerText.slice(0, 600) : ''", -1, None, None, None, got)
        except Exception as e:  # noqa: BLE001
            reply(f"(page text unavailable: {e})")
        GLib.timeout_add(3000, reply, None)

    def check(self, finished):
        p = self.pending
        if p is None:
            return
        uri = self.view.get_uri() or ""
        title = self.view.get_title() or ""
        if p.get("until_title"):
            if title.startswith(p["until_title"]):
                self.done(True)
        elif p.get("until_uri"):
            # The tunnel's auth page sets the cookie and moves on by itself: never a destination.
            if finished and uri.startswith(p["until_uri"]) and "/__launcher/auth" not in uri:
                self.done(True)
        elif finished:
            self.done(True)

    def on_load_changed(self, view, event):
        if event == WebKit2.LoadEvent.FINISHED:
            self.check(True)

    def on_load_failed(self, view, event, uri, error):
        self.failures.append({"uri": uri, "error": error.message})
        return False

    def on_title(self, view, _pspec):
        self.check(False)

    def on_crash(self, view, reason):
        self.done(False, f"the web process ended ({reason})")

    def on_timeout(self):
        self.timer = None
        self.done(False, "timeout")
        return False


Driver()
Gtk.main()
