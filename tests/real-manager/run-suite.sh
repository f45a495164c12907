#!/usr/bin/env bash
# Runs the Rust suite against the real manager: setup → start → the ignored tests of
# crates/cli/tests/real_manager.rs (the launcher's client and the `bai` binary; also
# crates/core/tests/real_manager.rs when it exists) with the client env file sourced, under a
# throwaway keyring (scripts/with-keyring.sh) → stop (always).
# Extra arguments go to the test binaries (e.g. a test name filter).
# Exits 0 without running anything when Python 3.13 or the test file is missing.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

test_file=$RM_ROOT/crates/cli/tests/real_manager.rs
core_file=$RM_ROOT/crates/core/tests/real_manager.rs
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
# Build first, outside the keyring wrapper (its HOME is a temp dir).
cargo test --workspace --locked --test real_manager --no-run
# One test at a time: the tests share one manager and one agent with 9 schedulable cores.
BAI_REALMGR_KEYRING=1 bash "$RM_ROOT/scripts/with-keyring.sh" \
  cargo test --workspace --locked --test real_manager -- --ignored --test-threads=1 "$@"
if [ -f "$core_file" ]; then
  cargo test -p bai-core --test real_manager -- --ignored --test-threads=1 "$@"
fi
