"""Shared fixtures for the conformance tests: where the Rust binaries are, and a summary of
what was compared (printed at the end of the run, so the counts show up in CI logs)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))

# Lines added by the tests, printed in the terminal summary.
SUMMARY: list[str] = []


def built_binary(relative: str, build_hint: str) -> Path:
    path = TARGET / "debug" / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing; build it first: {build_hint} (tests/conformance/run.sh does)")
    return path


@pytest.fixture(scope="session")
def sign_bin() -> Path:
    return built_binary("examples/sign", "cargo build -p bai-core --example sign")


@pytest.fixture(scope="session")
def testkit_bin() -> Path:
    return built_binary("bai-testkit", "cargo build -p bai-testkit")


def run_rust_signer(sign_bin: Path, lines: list[dict]) -> list[dict]:
    """Signs every line with the Rust signer in one subprocess; one reply per line, in order."""
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    proc = subprocess.run(
        [str(sign_bin)], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )
    if proc.returncode != 0:
        pytest.fail(f"{sign_bin} exited with {proc.returncode}; stderr:\n{proc.stderr}")
    replies = [json.loads(r) for r in proc.stdout.splitlines()]
    assert len(replies) == len(lines), (
        f"the Rust signer answered {len(replies)} lines for {len(lines)} inputs; stderr:\n{proc.stderr}"
    )
    return replies


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.section("conformance figures")
        for line in SUMMARY:
            terminalreporter.write_line(line)
