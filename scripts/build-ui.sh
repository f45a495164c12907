#!/usr/bin/env bash
# Installs the UI's npm dependencies (exactly as locked) and builds ui/dist, which the app embeds.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
