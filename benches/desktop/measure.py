#!/usr/bin/env python3
"""Start-up time and idle memory of the launcher against a minimal Tauri app.

Both are release builds with the custom protocol, started alternately under one Xvfb in a
fresh, empty home (first run: the launcher shows its empty state). Start-up is the time from
spawning the process to the page's script telling Rust it has run (the launcher UI calls
`ui_ready` once it has rendered its profiles; the minimal app's page calls `ready`). Memory is
the proportional set size (PSS, shared pages split fairly) of the app and every process it
started (WebKit's web and network processes), after the app has sat idle for a while.

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


def run_once(name: str, binary: Path, idle: float, timeout: float) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env = dict(os.environ)
    env.update(
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        BAI_CONFIG_DIR=str(home / "bai"),
    )
    log_dir = home / "data" / "ai.backend.launcher" / "logs"
    out_path = home / "stdout"
    try:
        with open(out_path, "wb") as out:
            started = time.time()
            proc = subprocess.Popen([str(binary)], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            ready = None
            while ready is None:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}: {out_path.read_text(errors='replace')[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} was not ready after {timeout}s")
                texts = [out_path.read_text(errors="replace")]
                texts += [p.read_text(errors="replace") for p in log_dir.glob("*.log")] if log_dir.is_dir() else []
                for text in texts:
                    m = READY_LOG.search(text) or READY_OUT.search(text)
                    if m:
                        ready = int(m.group(1))
                time.sleep(0.01)
            startup_ms = ready - started * 1000
            time.sleep(idle)
            pss, rss, names = memory_kib(proc.pid)
        finally:
            stop(proc)
        return {"startup_ms": startup_ms, "pss_kib": pss, "rss_kib": rss, "processes": names}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--launcher", type=Path, required=True)
    ap.add_argument("--minimal", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--idle", type=float, default=5.0, help="seconds idle before memory is read")
    ap.add_argument("--timeout", type=float, default=60.0)
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
    for name, binary in apps.items():
        print(f"binary size {name:8} {binary.stat().st_size / 2**20:6.1f} MiB  ({binary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
