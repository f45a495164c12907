#!/usr/bin/env python3
"""Start-up time and idle memory of the launcher against a minimal Tauri app.

Both are release builds with the custom protocol, started alternately under one Xvfb in a
fresh, empty home (first run: the launcher shows its empty state). Start-up is the time from
spawning the process to the page's script telling Rust it has run (the launcher UI calls
`ui_ready` once it has rendered its profiles; the minimal app's page calls `ready`). Memory is
the proportional set size (PSS, shared pages split fairly) of the app and every process it
started (WebKit's web and network processes), after the app has sat idle for a while.

The launcher alone is then measured in the tray:
- started with `--minimized` (what start-at-login runs): the whole app's RSS, PSS and process
  count after `--idle` seconds, and whether any WebKit process runs (none should);
- started normally, its window closed as a window manager closes it (WM_DELETE_WINDOW), then
  measured the same way `--idle` seconds after the close;
- then reopened from the tray, warm (the app and its files are already in memory), `--reopens`
  times, the window closed again in between: the tray menu's "Show launcher" is clicked as a
  desktop panel clicks it (a dbusmenu `Event` on the session bus, which libayatana-appindicator
  turns into the menu item's activation). Two figures: wall time from the click to the rebuilt
  UI's `ui_ready`, and the app's own time from building the window (its "launcher window
  opening" log line) to `ui_ready`. Once more, a second start of the app (which the
  single-instance plugin hands to the running one) reopens it, timed from spawning it.

Prints one line per run and a summary with medians and launcher/minimal ratios. Figures only:
nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY_LOG = re.compile(r"launcher ui ready.*?epoch_ms=(\d+)")
READY_OUT = re.compile(r"ready epoch_ms=(\d+)")
OPENING_LOG = re.compile(r"launcher window opening.*?epoch_ms=(\d+)")
LAUNCHER_TITLE = "Backend.AI Launcher"


def children_of() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields after the last ')' are fixed.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(d.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = children_of(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def memory_kib(pid: int) -> tuple[int, int, list[str]]:
    """(PSS, RSS, names) summed over pid and its descendants."""
    pss = rss = 0
    names = []
    for p in descendants(pid):
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
            names.append(Path(f"/proc/{p}/comm").read_text().strip())
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
            elif line.startswith("Rss:"):
                rss += int(line.split()[1])
    return pss, rss, names


def stop(proc: subprocess.Popen) -> None:
    family = descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for p in family[1:]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def fresh_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        BAI_CONFIG_DIR=str(home / "bai"),
    )
    return env


def log_text(home: Path) -> str:
    """The launcher's log (all its files) and the process's captured output."""
    log_dir = home / "data" / "ai.backend.launcher" / "logs"
    texts = [(home / "stdout").read_text(errors="replace")] if (home / "stdout").exists() else []
    texts += [p.read_text(errors="replace") for p in sorted(log_dir.glob("*.log"))] if log_dir.is_dir() else []
    return "\n".join(texts)


def wait_until(what: str, pred, timeout: float, proc: subprocess.Popen | None = None, home: Path | None = None):
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            tail = log_text(home)[-2000:] if home else ""
            raise RuntimeError(f"the app exited with {proc.returncode} while waiting for {what}: {tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} after {timeout}s")
        time.sleep(0.01)


def spawn(binary: Path, home: Path, *args: str) -> tuple[subprocess.Popen, float]:
    with open(home / "stdout", "ab") as out:
        started = time.time()
        proc = subprocess.Popen([str(binary), *args], env=fresh_env(home), stdout=out, stderr=subprocess.STDOUT)
    return proc, started


def webkit(names: list[str]) -> list[str]:
    return [n for n in names if n.startswith("WebKit")]


def run_once(name: str, binary: Path, idle: float, timeout: float) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        proc, started = spawn(binary, home)
        try:
            def ready():
                text = log_text(home)
                m = READY_LOG.search(text) or READY_OUT.search(text)
                return int(m.group(1)) if m else None

            ready_ms = wait_until(f"{name} UI ready", ready, timeout, proc, home)
            startup_ms = ready_ms - started * 1000
            time.sleep(idle)
            pss, rss, names = memory_kib(proc.pid)
        finally:
            stop(proc)
        return {"startup_ms": startup_ms, "pss_kib": pss, "rss_kib": rss, "processes": names}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run_minimized(binary: Path, idle: float, timeout: float) -> dict:
    """The launcher started at login: in the tray, no window."""
    home = Path(tempfile.mkdtemp(prefix="bench-tray-"))
    try:
        proc, _ = spawn(binary, home, "--minimized")
        try:
            wait_until("'started minimized' in the log", lambda: "started minimized" in log_text(home), timeout, proc, home)
            time.sleep(idle)
            pss, rss, names = memory_kib(proc.pid)
            if proc.poll() is not None:
                raise RuntimeError(f"the minimized launcher exited with {proc.returncode}")
        finally:
            stop(proc)
        return {"pss_kib": pss, "rss_kib": rss, "processes": names}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def gdbus(*args: str) -> str:
    return subprocess.run(
        ["gdbus", "call", "--session", *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout


class TrayMenu:
    """The app's tray menu as a desktop panel sees it: libayatana-appindicator exports it on
    the session bus (com.canonical.dbusmenu), and a panel sends `Event(id, "clicked")` when the
    user picks an item. Clicking through it runs the app's real tray code."""

    ITEM = re.compile(r"\((\d+), \{'label': <'([^']*)'>")

    def __init__(self, pid: int):
        bus = ("--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus")
        names = re.findall(r"'(:[0-9.]+)'", gdbus(*bus, "--method", "org.freedesktop.DBus.ListNames"))
        self.dest = self.path = None
        for name in names:
            try:
                out = gdbus(*bus, "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", name)
                if int(re.search(r"uint32 (\d+)", out).group(1)) != pid:
                    continue
                base = "/org/ayatana/NotificationItem"
                xml = gdbus("--dest", name, "--object-path", base, "--method", "org.freedesktop.DBus.Introspectable.Introspect")
                items = re.findall(r'node name=\\?"([^"\\]+)', xml)
            except (subprocess.SubprocessError, AttributeError, ValueError):
                continue
            if items:
                self.dest, self.path = name, f"{base}/{items[0]}/Menu"
                return
        raise RuntimeError(f"no tray menu of process {pid} on the session bus")

    def click(self, label: str) -> None:
        where = ("--dest", self.dest, "--object-path", self.path)
        layout = gdbus(*where, "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "['label']")
        ids = [int(i) for i, text in self.ITEM.findall(layout) if text.replace("_", "") == label]
        if not ids:
            raise RuntimeError(f"no tray item {label!r} in {layout}")
        gdbus(*where, "--method", "com.canonical.dbusmenu.Event", "--", str(ids[0]), "clicked", "<int32 0>", "0")


def run_close_reopen(binary: Path, idle: float, timeout: float, reopens: int) -> dict:
    """The launcher's window closed by the user (memory `idle` s later), then reopened `reopens`
    times from the running app (warm), the window closed again between reopens."""
    import xwin

    home = Path(tempfile.mkdtemp(prefix="bench-close-"))
    x = xwin.Display()
    try:
        proc, _ = spawn(binary, home)
        try:
            def ready_count() -> int:
                return len(READY_LOG.findall(log_text(home)))

            def close_window() -> float:
                windows = wait_until("the launcher window", lambda: x.windows(LAUNCHER_TITLE), timeout, proc, home)
                closed = time.monotonic()
                for w in windows:
                    x.close_window(w)
                wait_until("the launcher window closed", lambda: not x.windows(LAUNCHER_TITLE), timeout, proc, home)
                # Its web process ends with the window (the network process may stay: it is
                # the web context's, not the window's, and is reported in the figures).
                wait_until(
                    "the launcher's WebKit web process gone",
                    lambda: "WebKitWebProces" not in memory_kib(proc.pid)[2],
                    timeout,
                    proc,
                    home,
                )
                return closed

            wait_until("launcher UI ready", lambda: ready_count() >= 1, timeout, proc, home)
            closed = close_window()
            time.sleep(max(0.0, closed + idle - time.monotonic()))
            pss, rss, names = memory_kib(proc.pid)

            try:
                tray = TrayMenu(proc.pid)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                # No tray menu on the bus: every reopen is then a second start.
                print(f"bench: cannot click the tray ({e}); reopening by a second start", file=sys.stderr)
                tray = None

            def reopen(how: str) -> tuple[float, float | None]:
                before = ready_count()
                asked = time.time()
                if how == "tray" and tray is None:
                    how = "second start"
                if how == "tray":
                    tray.click("Show launcher")
                else:
                    second, asked = spawn(binary, home)
                wait_until("launcher UI ready after the reopen", lambda: ready_count() > before, timeout, proc, home)
                if how != "tray":
                    second.wait(timeout=timeout)
                text = log_text(home)
                ready_ms = int(READY_LOG.findall(text)[-1])
                opening = OPENING_LOG.findall(text)
                return ready_ms - asked * 1000, (ready_ms - int(opening[-1])) if opening else None

            wall, inside, second_wall = [], [], []
            for i in range(reopens + 1):
                if i:
                    close_window()
                    time.sleep(0.5)
                # The tray's "Show launcher" `reopens` times, then once a second start of the app.
                w, a = reopen("tray" if i < reopens else "second start")
                (wall if i < reopens else second_wall).append(w)
                if a is not None and i < reopens:
                    inside.append(a)
            if proc.poll() is not None:
                raise RuntimeError(f"the launcher exited with {proc.returncode}")
        finally:
            stop(proc)
        return {
            "pss_kib": pss,
            "rss_kib": rss,
            "processes": names,
            "reopens_wall": wall,
            "reopens_app": inside,
            "reopens_second_start": second_wall,
        }
    finally:
        x.close()
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--launcher", type=Path, required=True)
    ap.add_argument("--minimal", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds idle before memory is read")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--reopens", type=int, default=3, help="warm reopens of the launcher window per run")
    args = ap.parse_args()

    apps = {"minimal": args.minimal, "launcher": args.launcher}
    results: dict[str, list[dict]] = {k: [] for k in apps}
    # One warm-up each (page cache, fontconfig cache), not counted.
    for name, binary in apps.items():
        run_once(name, binary, 0.5, args.timeout)
    for i in range(args.runs):
        for name, binary in apps.items():
            r = run_once(name, binary, args.idle, args.timeout)
            results[name].append(r)
            print(
                f"run {i + 1}/{args.runs} {name:8} start-up {r['startup_ms']:7.0f} ms   "
                f"PSS {r['pss_kib'] / 1024:6.1f} MiB   RSS {r['rss_kib'] / 1024:6.1f} MiB   "
                f"({len(r['processes'])} processes: {', '.join(r['processes'])})",
                flush=True,
            )
        r = run_minimized(args.launcher, args.idle, args.timeout)
        results.setdefault("minimized", []).append(r)
        print(
            f"run {i + 1}/{args.runs} launcher started --minimized, after {args.idle:.0f} s: "
            f"PSS {r['pss_kib'] / 1024:6.1f} MiB   RSS {r['rss_kib'] / 1024:6.1f} MiB   "
            f"({len(r['processes'])} processes: {', '.join(r['processes'])})",
            flush=True,
        )
        r = run_close_reopen(args.launcher, args.idle, args.timeout, args.reopens)
        results.setdefault("closed", []).append(r)
        print(
            f"run {i + 1}/{args.runs} launcher window closed, after {args.idle:.0f} s: "
            f"PSS {r['pss_kib'] / 1024:6.1f} MiB   RSS {r['rss_kib'] / 1024:6.1f} MiB   "
            f"({len(r['processes'])} processes: {', '.join(r['processes'])})",
            flush=True,
        )
        app_ms = ", ".join(f"{v:.0f}" for v in r["reopens_app"]) or "n/a (no 'launcher window opening' line)"
        print(
            f"run {i + 1}/{args.runs} launcher reopened from the tray (warm) x{args.reopens}: click to UI ready "
            f"{', '.join(f'{v:.0f}' for v in r['reopens_wall'])} ms; window build to UI ready {app_ms} ms; "
            f"by a second start: {r['reopens_second_start'][0]:.0f} ms",
            flush=True,
        )

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    print()
    print(f"desktop benchmark: medians of {args.runs} runs (release builds, Xvfb, first run, {args.idle:.0f} s idle)")
    print(f"{'':28}{'minimal Tauri':>15}{'launcher':>12}{'ratio':>9}")
    rows = [
        ("start-up to UI ready (ms)", "startup_ms", 1.0),
        ("idle memory, PSS (MiB)", "pss_kib", 1024.0),
        ("idle memory, RSS (MiB)", "rss_kib", 1024.0),
    ]
    for label, key, div in rows:
        a, b = med("minimal", key) / div, med("launcher", key) / div
        print(f"{label:28}{a:15.1f}{b:12.1f}{b / a:8.2f}x")
    print()
    print(f"launcher in the tray: medians of {args.runs} runs, whole app (the launcher and every process it started)")
    print(f"{'':40}{'RSS (MiB)':>10}{'PSS (MiB)':>11}{'processes':>11}{'WebKit':>8}")
    for label, key in [
        (f"started --minimized, {args.idle:.0f} s later", "minimized"),
        (f"window closed, {args.idle:.0f} s later", "closed"),
    ]:
        runs = results[key]
        wk = max(len(webkit(r["processes"])) for r in runs)
        print(
            f"{label:40}{med(key, 'rss_kib') / 1024:10.1f}{med(key, 'pss_kib') / 1024:11.1f}"
            f"{statistics.median(len(r['processes']) for r in runs):11.0f}{('none' if wk == 0 else wk):>8}"
        )
    print("  (target: no WebKit process, RSS <= 60 MiB)")
    wall = statistics.median(w for r in results["closed"] for w in r["reopens_wall"])
    app_runs = [w for r in results["closed"] for w in r["reopens_app"]]
    second = statistics.median(w for r in results["closed"] for w in r["reopens_second_start"])
    print(
        f"reopen from the tray, warm (median of {args.runs * args.reopens}): tray click to UI ready "
        f"{wall:.0f} ms; window build to UI ready (in the app) "
        + (f"{statistics.median(app_runs):.0f} ms" if app_runs else "n/a (this build logs no 'launcher window opening')")
    )
    print(f"reopen by a second start of the app, warm (median of {args.runs}): start to UI ready {second:.0f} ms")
    print(
        f"  (target: under 300 ms; cold start-up of the launcher {med('launcher', 'startup_ms'):.0f} ms, "
        f"of the minimal app {med('minimal', 'startup_ms'):.0f} ms)"
    )
    for name, binary in apps.items():
        print(f"binary size {name:8} {binary.stat().st_size / 2**20:6.1f} MiB  ({binary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
