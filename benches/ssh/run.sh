#!/usr/bin/env bash
# SSH benchmark: `ssh HOST echo ok`, a line's round trip in a session and 64 MiB `scp` up and
# down, through `bai ssh-proxy` (the session's signed tcpproxy WebSocket, the demo endpoint in
# a release `bai`) against a direct `ssh` to the same sshd. Prints figures and ratios; never
# fails on a number (it fails when something does not work, e.g. a file arrives damaged).
#
#   benches/ssh/run.sh [--prebuilt]
#
# --prebuilt: take target/release/bai as scripts/package-deb.sh just built it (CI runs this
# after the package step); otherwise it is built first. Knobs: BAI_BENCH_SSH_MB (64),
# BAI_BENCH_SSH_RUNS (connections per path, 10), BAI_BENCH_SSH_LINES (200), BAI_BENCH_BAI (the
# bai to measure). The harness is crates/cli/tests/ssh_bench.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
for tool in ssh scp sshd pgrep; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
    { echo "bench: $tool is missing; run scripts/setup-system.sh" >&2; exit 1; }
done
if [ "${1:-}" = --prebuilt ]; then
  shift
  [ -x target/release/bai ] ||
    { echo "bench: --prebuilt, but there is no target/release/bai; run scripts/package-deb.sh" >&2; exit 1; }
elif [ -z "${BAI_BENCH_BAI:-}" ]; then
  echo "==> building bai (release)"
  cargo build --release --locked -p bai-cli --bin bai
fi
# --workspace: the same features as the suite's build, so nothing is compiled again.
cargo test --locked --workspace --test ssh_bench -- --ignored --nocapture "$@"
