"""Runs last (file order): quitting the app, after every other E2E test is done with it."""

import os
import pathlib
import time


def app_pid() -> int:
    """The app process of this run: the bai-launcher whose environment has our config dir."""
    want = f"BAI_CONFIG_DIR={os.environ['BAI_CONFIG_DIR']}".encode()
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.readlink(proc / "exe") != os.environ["E2E_APP"]:
                continue
            if want in (proc / "environ").read_bytes().split(b"\0"):
                return int(proc.name)
        except OSError:
            continue
    raise AssertionError("the app process was not found")


def alive(pid: int) -> bool:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return ") Z " not in stat


def test_g_quitting_stops_the_demo_server(app):
    pids = [int(p) for p in (pathlib.Path(os.environ["E2E_OUT"]) / "demo.pids").read_text().split()]
    assert len(pids) == 1, f"one demo server was started: {pids}"
    assert alive(pids[0]), "the demo server runs while the app does"
    # SIGTERM takes the same path as the tray's Quit (app.exit → RunEvent::Exit).
    os.kill(app_pid(), 15)
    deadline = time.monotonic() + 15
    while alive(pids[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pids[0]), "the demo server outlived the app"
