#!/usr/bin/env bash
# Runs a command with a real, unlocked OS keyring (gnome-keyring's Secret Service) in a
# private D-Bus session and a throwaway HOME, so tests never touch the user's own keyring.
#   scripts/with-keyring.sh CMD...          a working keyring
#   scripts/with-keyring.sh --no-provider CMD...  a D-Bus session with no secrets provider
#   scripts/with-keyring.sh --no-dbus CMD...      no D-Bus at all
set -euo pipefail
mode=keyring
case "${1:-}" in
  --no-provider) mode=no-provider; shift ;;
  --no-dbus) mode=no-dbus; shift ;;
esac
[ $# -gt 0 ] || { echo "usage: $0 [--no-provider|--no-dbus] CMD..." >&2; exit 2; }

home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/run" && chmod 700 "$home/run"
# Keep cargo and rustup where they are although HOME changes.
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo} RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

case $mode in
  no-dbus)
    exec env HOME="$home" XDG_RUNTIME_DIR="$home/run" DBUS_SESSION_BUS_ADDRESS="unix:path=$home/run/no-bus" BAI_EXPECT_NO_KEYRING=1 "$@"
    ;;
  no-provider)
    exec env HOME="$home" XDG_RUNTIME_DIR="$home/run" BAI_EXPECT_NO_KEYRING=1 dbus-run-session -- "$@"
    ;;
  keyring)
    export HOME="$home" XDG_RUNTIME_DIR="$home/run"
    exec dbus-run-session -- bash -c '
      eval "$(echo -n ci-keyring-password | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
      export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
      exec "$@"' bash "$@"
    ;;
esac
