#!/usr/bin/env bash
# Conformance with the official Backend.AI Python SDK (backend.ai-client 26.9.6):
# our signer against its generate_signature, and the SDK itself against our testkit.
# Builds what it needs, ensures the SDK venv, runs pytest; exits non-zero on any failure.
# Extra arguments go to pytest (e.g. -k signing).
set -euo pipefail
cd "$(dirname "$0")/../.."
export BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}

cargo build --quiet --locked --workspace --example sign --bin bai-testkit

bash scripts/python-env.sh sdk
SDK_PYTHON="$BAI_CACHE/sdk/bin/python"
if [ ! -x "$SDK_PYTHON" ]; then
  echo "conformance: skipped, because Python >= 3.12 is missing (backend.ai-client 26.x needs it)"
  exit 0
fi

cd tests/conformance
# -p no:cacheprovider keeps .pytest_cache out of the source tree; -rfE lists failures at the end.
exec "$SDK_PYTHON" -m pytest -q -rfE -p no:cacheprovider "$@"
