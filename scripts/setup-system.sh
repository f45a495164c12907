#!/usr/bin/env bash
# Installs the system packages the launcher needs to build, run and test on Debian/Ubuntu.
# Idempotent: packages already present are not reinstalled, so a warm run takes a second.
set -euo pipefail

PKGS=(
  build-essential pkg-config file libssl-dev curl ca-certificates
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev
  xvfb xauth imagemagick webkit2gtk-driver python3-gi gir1.2-webkit2-4.1
  dbus dbus-x11 gnome-keyring libsecret-tools keyutils x11-utils fonts-dejavu-core libglib2.0-bin
  python3 python3-venv python3-pip
  openssh-server openssh-client
  xdg-utils desktop-file-utils
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "==> installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "==> system packages: all present"
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "==> installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js 20 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "       Install it from https://nodejs.org or your distribution's backports, then run this again." >&2
  exit 1
fi
