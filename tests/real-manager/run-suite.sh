#!/usr/bin/env bash
# Runs the Rust conformance suite against the real manager: setup → start → the ignored tests
# of crates/core/tests/real_manager.rs with the client env file sourced → stop (always).
# Extra arguments go to the test binary (e.g. a test name filter).
# Exits 0 without running anything when Python 3.13 or the test file is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

test_file=$RM_ROOT/crates/core/tests/real_manager.rs
bash "$RM_DIR/setup.sh"
# setup.sh has already said why when it skipped.
[ -x "$RM_CLI" ] || exit 0
if [ ! -f "$test_file" ]; then
  rm_log "skipped: ${test_file#"$RM_ROOT"/} does not exist yet, so there is no suite to run"
  exit 0
fi

trap 'bash "$RM_DIR/stop.sh"' EXIT
bash "$RM_DIR/start.sh"
source "$RM_CLIENT_ENV"
cd "$RM_ROOT"
# One test at a time: the tests share one manager and one agent with 9 schedulable cores.
cargo test -p bai-core --test real_manager -- --ignored --test-threads=1 "$@"
