#!/usr/bin/env bash
# Tunnel benchmark: a real JupyterLab reached directly, through `bai launch`'s tunnel and through
# the official `backend.ai app` proxy, with the manager (`bai-testkit`) 0, 20 and 100 ms of
# round trip away (its delaying relay, --delay-ms) over ws:// and wss:// (--https). Each is a
# process of its own. Prints one table per (round trip, scheme) with ratios to direct and to
# the official proxy; never fails on a number (it fails when something does not work). Then the
# notebook's time to usable, direct and through `bai`, in a real WebKitGTK window (ttu.py, Debian's
# python3 with python3-gi and gir1.2-webkit2-4.1; under `xvfb-run -a` when there is no display):
# "n/a" and why when it cannot be measured.
#
#   benches/tunnel/run.sh [--prebuilt] [--quick] [--rtt 0,20,100] [--schemes ws,wss] [--no-ttu]
#
# --prebuilt: take target/release/bai as scripts/package-deb.sh built it (CI); otherwise it is
# built first. bai-testkit is built (release) either way. --quick: 32 MiB bulk, 5 samples, 60
# static files, time to usable at 0 and 20 ms only (CI, about 3 minutes); without it 64 MiB, 20
# samples, every static file, time to usable at every round trip with a warm reload too.
# --no-ttu skips the time to usable.
# Knobs: BAI_BENCH_BAI (the bai to measure), BAI_BENCH_SDK (the official client's venv,
# default $BAI_CACHE/sdk; `off` skips its column), BAI_TESTKIT_JUPYTER (the jupyter to run).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
cache=${BAI_CACHE:-$HOME/.cache/bai-launcher}

prebuilt=
args=()
for a in "$@"; do
  case $a in
    --prebuilt) prebuilt=1 ;;
    *) args+=("$a") ;;
  esac
done

bai=${BAI_BENCH_BAI:-target/release/bai}
if [ -n "$prebuilt" ]; then
  [ -x "$bai" ] ||
    { echo "bench: --prebuilt, but there is no $bai; run scripts/package-deb.sh" >&2; exit 1; }
elif [ -z "${BAI_BENCH_BAI:-}" ]; then
  echo "==> building bai (release)"
  cargo build --release --locked -p bai-cli --bin bai
fi
echo "==> building bai-testkit (release)"
cargo build --release --locked -p bai-testkit --bin bai-testkit

jupyter=${BAI_TESTKIT_JUPYTER:-$cache/jupyter/bin/jupyter}
[ -x "$jupyter" ] ||
  { echo "bench: no JupyterLab at $jupyter; run scripts/python-env.sh jupyter" >&2; exit 1; }
sdk=${BAI_BENCH_SDK:-$cache/sdk}
official=
if [ "$sdk" != off ]; then
  if [ -x "$sdk/bin/backend.ai" ]; then
    official=$sdk/bin/backend.ai
  else
    echo "bench: no official client at $sdk/bin/backend.ai; its column is left out" >&2
  fi
fi

exec python3 benches/tunnel/bench.py --bai "$bai" --testkit target/release/bai-testkit \
  --jupyter "$jupyter" --official "$official" "${args[@]}"
