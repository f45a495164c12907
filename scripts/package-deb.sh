#!/usr/bin/env bash
# Builds the release Debian package: the launcher (a production, custom-protocol build that embeds
# ui/dist), the `bai` CLI, the demo server (/usr/lib/backend-ai-launcher/bai-testkit, which the
# app's "Try the demo" runs), icons and a desktop entry, bundled by the Tauri CLI with
# `tauri build --bundles deb`. Package metadata lives in tauri.conf.json ("bundle"); the version
# is the workspace's (Cargo.toml [workspace.package] version), since tauri.conf.json sets none.
#
# Prints the path of the .deb on the last line of stdout, and the sizes on stderr.
# Environment: none needed. Extra arguments are passed to `tauri build` (e.g. --verbose).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Tauri CLI comes from the UI's npm dev dependencies (a prebuilt binary; no cargo install).
if [ ! -x ui/node_modules/.bin/tauri ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "installing the UI's npm dependencies (they include the Tauri CLI)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
TAURI=$ROOT/ui/node_modules/.bin/tauri

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)
[ -n "$version" ] || die "could not read the workspace version from Cargo.toml ([workspace.package] version)"

# The CLI treats the folder holding tauri.conf.json as the crate: run it from src-tauri/, where
# tauri.conf.json links to the root file (whose paths are relative to src-tauri/). `tauri build`
# runs the UI build (beforeBuildCommand), then `cargo build --release` with
# tauri/custom-protocol, so the app serves the embedded ui/dist rather than a dev server.
# bundle.linux.deb.files maps /usr/bin/bai to target/release/bai and
# /usr/lib/backend-ai-launcher/bai-testkit to target/release/bai-testkit, so the CLI and the demo
# server are built in the same cargo run as the app (`-p bai-cli -p bai-testkit -p bai-launcher`,
# before bundling): one run unifies the crates' dependency features, so the shared dependencies
# compile once. Built apart, they differ (proc-macro2 and everything above it), and every crate
# compiled twice (~4 min on CI).
say "building the launcher, the bai CLI and the demo server, and bundling: tauri build --bundles deb"
t0=$(date +%s)
(cd src-tauri && "$TAURI" build --bundles deb --ci "$@" -- --locked -p bai-cli -p bai-testkit -p bai-launcher) >&2
say "tauri build took $(( $(date +%s) - t0 ))s"

# The Tauri bundler names the file after productName; the package itself is kebab-cased.
shopt -s nullglob
debs=("$ROOT"/target/release/bundle/deb/*_"${version}"_amd64.deb)
((${#debs[@]} == 1)) || die "expected one .deb for version $version under target/release/bundle/deb, found ${#debs[@]}"
deb=${debs[0]}

pkg_version=$(dpkg-deb -f "$deb" Version)
[ "$pkg_version" = "$version" ] || die "the package's version ($pkg_version) differs from Cargo.toml's ($version)"

human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
launcher_size=$(stat -c %s target/release/bai-launcher)
cli_size=$(stat -c %s target/release/bai)
testkit_size=$(stat -c %s target/release/bai-testkit)
deb_size=$(stat -c %s "$deb")
installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
{
  echo "==> sizes"
  printf '    release binary bai-launcher  %10s bytes (%s)\n' "$launcher_size" "$(human "$launcher_size")"
  printf '    release binary bai           %10s bytes (%s)\n' "$cli_size" "$(human "$cli_size")"
  printf '    release binary bai-testkit   %10s bytes (%s)\n' "$testkit_size" "$(human "$testkit_size")"
  printf '    package %-20s %10s bytes (%s), installed size %s KiB\n' "$(dpkg-deb -f "$deb" Package)" "$deb_size" "$(human "$deb_size")" "$installed_kib"
} >&2
echo "$deb"
