#!/usr/bin/env bash
# Proves the Debian package: its metadata and runtime dependencies, its contents, then installs
# it on this machine with apt, runs the installed `bai` and the installed app (under Xvfb, with a
# screenshot in target/deb-check/), presses "Try the demo" in the installed app (through
# tauri-driver, as the E2E suite does: tests/e2e/installed_demo.py) with no JupyterLab on PATH,
# checks the explanation, lets the app install JupyterLab into its own folder, and reaches a
# notebook window; then purges it, checking nothing it brought is left behind.
#
# Usage: scripts/check-deb.sh [path/to/package.deb]   (default: the one under target/release/bundle/deb)
# Needs root (or sudo) for apt-get; installs desktop-file-utils if it is missing. Needs the E2E
# suite's tools (tests/e2e/run.sh installs them once: tauri-driver in $BAI_CACHE/tools, selenium
# in $BAI_CACHE/e2e), WebKitWebDriver, python3 with venv, and pip's access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/target/deb-check
mkdir -p "$OUT"

PKG_BIN=bai-launcher                                  # the app's binary, icon and WM class name
DEMO_BIN=/usr/lib/backend-ai-launcher/bai-testkit     # the demo server "Try the demo" runs
WINDOW_TITLE="Backend.AI Launcher"
ICON_SIZES=(16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512)
# Runtime libraries the app needs but loads without a DT_NEEDED entry (so dpkg-shlibdeps cannot
# see them): the tray's AppIndicator is dlopen()ed by libappindicator-sys.
DLOPENED_DEPENDS=(libayatana-appindicator3-1)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
started=$(date +%s)
say() { printf '==> [%3ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
ok() { printf '    ok: %s\n' "$*"; }

deb=${1:-}
if [ -z "$deb" ]; then
  shopt -s nullglob
  debs=("$ROOT"/target/release/bundle/deb/*.deb)
  shopt -u nullglob
  ((${#debs[@]} > 0)) || fail "no .deb under target/release/bundle/deb: run scripts/package-deb.sh first"
  deb=$(ls -t "${debs[@]}" | head -n1)
fi
[ -f "$deb" ] || fail "no such package: $deb"
deb=$(realpath "$deb")
say "checking $deb"

field() { dpkg-deb -f "$deb" "$1"; }
pkg=$(field Package)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml)

# --- metadata -----------------------------------------------------------------------------------
say "metadata (dpkg -I)"
dpkg-deb -I "$deb" | sed 's/^/    /'
[ "$pkg" = "backend-ai-launcher" ] || fail "Package is '$pkg', expected backend-ai-launcher"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', Cargo.toml says '$version'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is '$(field Architecture)'"
for f in Maintainer Homepage Description Section Priority Installed-Size; do
  [ -n "$(field "$f")" ] || fail "the control file has no $f"
done
ok "Package $pkg, Version $version (= Cargo.toml), Maintainer, Homepage, Description, Section present"

depends=$(field Depends)
recommends=$(field Recommends)
# Each alternative group of a relation field, one per line, versions removed: "a | b".
relation_names() { tr ',' '\n' <<<"$1" | sed -E 's/\([^)]*\)//g; s/[[:space:]]+/ /g; s/^ //; s/ $//' | sed '/^$/d'; }
has_dep() { relation_names "$depends" | tr '|' '\n' | sed 's/ //g' | grep -qx "$1"; }
if relation_names "$depends" | grep -Eq -- '-dev( |$)'; then
  fail "Depends names a -dev package: $depends"
fi
for p in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 libdbus-1-3; do
  has_dep "$p" || fail "Depends lacks $p: $depends"
done
relation_names "$recommends" | grep -q 'gnome-keyring' || fail "Recommends names no Secret Service provider: $recommends"
ok "Depends: $depends"
ok "Recommends: $recommends"

# --- contents -----------------------------------------------------------------------------------
say "contents (dpkg -c)"
# Each entry: "mode owner size date time path"; the path may hold spaces and may or may not
# start with "./", depending on the tool that built the archive.
contents=$(dpkg-deb -c "$deb" | sed -E 's/^([^ ]+) +([^ ]+) +([^ ]+) +([^ ]+) +([^ ]+) +/\1 \3 /')
sed 's/^/    /' <<<"$contents"
mapfile -t pkg_paths < <(sed -E 's/^[^ ]+ [^ ]+ //; s#^\./#/#; s#^([^/])#/\1#; s#/$##' <<<"$contents" | sed '/^\/\?$/d')
in_pkg() { printf '%s\n' "${pkg_paths[@]}" | grep -qxF "$1"; }
for p in /usr/bin/$PKG_BIN /usr/bin/bai "$DEMO_BIN"; do in_pkg "$p" || fail "$p is not in the package"; done
grep -E "^-rwxr-xr-x [0-9]+ (\./|/)?${DEMO_BIN#/}\$" <<<"$contents" >/dev/null || fail "$DEMO_BIN is not an executable file (0755) in the package"
for s in "${ICON_SIZES[@]}"; do
  in_pkg "/usr/share/icons/hicolor/$s/apps/$PKG_BIN.png" || fail "no ${s} icon in the package"
done
in_pkg "/usr/share/icons/hicolor/scalable/apps/$PKG_BIN.svg" || fail "no scalable (SVG) icon in the package"
desktop_file=$(printf '%s\n' "${pkg_paths[@]}" | grep -E '^/usr/share/applications/[^/]+\.desktop$' || true)
[ "$(wc -l <<<"$desktop_file")" -eq 1 ] && [ -n "$desktop_file" ] || fail "expected one desktop entry, found: '$desktop_file'"
ok "the app, bai, the demo server ($DEMO_BIN), icons (${ICON_SIZES[*]} + scalable) and $desktop_file"

# Unpack once for the static checks below.
x=$(mktemp -d)
cleanup_x() { rm -rf "$x"; }
trap cleanup_x EXIT
dpkg-deb -x "$deb" "$x/root"

# Icon files must really have the size their directory claims.
for s in "${ICON_SIZES[@]}"; do
  got=$(identify -format '%wx%h' "$x/root/usr/share/icons/hicolor/$s/apps/$PKG_BIN.png")
  [ "$got" = "$s" ] || fail "the $s icon is $got pixels"
done
ok "every PNG icon has the size of its directory"

# Every shared library the binaries link must come with the package: its package (dpkg-shlibdeps'
# answer) is in Depends, or is itself a dependency of what Depends names (libc6, glib, cairo…
# come with libwebkit2gtk-4.1-0 and libgtk-3-0), so installing the package brings them all.
mkdir -p "$x/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$x/shlibs/debian/control"
shlibs=$(cd "$x/shlibs" && dpkg-shlibdeps -O -e"$x/root/usr/bin/$PKG_BIN" -e"$x/root/usr/bin/bai" -e"$x/root$DEMO_BIN" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || fail "dpkg-shlibdeps found no dependencies (is dpkg-dev installed?)"
mapfile -t declared < <(relation_names "$depends" | tr '|' '\n' | sed 's/ //g' | sed '/^$/d')
brought=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${declared[@]}" 2>/dev/null | sed -E 's/^ +(PreDepends|Depends): //; s/[<>]//g; s/:any$//' | sort -u)
[ -n "$brought" ] || fail "apt-cache could not resolve Depends ($depends)"
while read -r group; do
  found=0
  for alt in $(tr '|' ' ' <<<"$group"); do
    { has_dep "$alt" || grep -qxF "$alt" <<<"$brought"; } && found=1
  done
  ((found)) || fail "the binaries link a library from '$group', which neither Depends nor its dependencies bring (dpkg-shlibdeps: $shlibs)"
done < <(relation_names "$shlibs")
for p in "${DLOPENED_DEPENDS[@]}"; do has_dep "$p" || fail "Depends lacks $p (loaded at run time)"; done
ok "every library package dpkg-shlibdeps finds comes with Depends ($shlibs)"

if ! command -v desktop-file-validate >/dev/null; then
  say "installing desktop-file-utils (for desktop-file-validate)"
  $SUDO apt-get install -y -qq --no-install-recommends desktop-file-utils >/dev/null
fi
entry="$x/root$desktop_file"
sed 's/^/    /' "$entry"
desktop-file-validate "$entry" || fail "desktop-file-validate rejects $desktop_file"
desktop_key() { sed -n "s/^$1=//p" "$entry" | head -n1; }
# `%u`: a backendai-launcher: link opened in a browser or with xdg-open reaches the app.
[ "$(desktop_key Exec)" = "$PKG_BIN %u" ] || fail "Exec is '$(desktop_key Exec)', expected '$PKG_BIN %u'"
[ "$(desktop_key Icon)" = "$PKG_BIN" ] || fail "Icon is '$(desktop_key Icon)', expected $PKG_BIN"
grep -qxF 'MimeType=x-scheme-handler/backendai-launcher;' "$entry" ||
  fail "the desktop entry does not claim backendai-launcher: links (MimeType=x-scheme-handler/backendai-launcher;)"
ok "desktop entry valid; Exec and Icon name $PKG_BIN; it handles backendai-launcher: links"

# --- install ------------------------------------------------------------------------------------
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed'; then
  say "$pkg is installed already (an earlier run?): purging it first"
  $SUDO apt-get purge -y -qq "$pkg" >/dev/null
fi
# What already exists (shared directories such as /usr/bin) must survive the purge; the rest must go.
preexisting=$x/preexisting
for p in "${pkg_paths[@]}"; do [ -e "$p" ] && echo "$p"; done >"$preexisting" || true
for p in /usr/bin/bai /usr/bin/$PKG_BIN; do
  grep -qxF "$p" "$preexisting" && fail "$p exists before the install: another package or a manual copy owns it"
done

say "apt-get install $deb"
t0=$(date +%s)
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >"$OUT/apt-install.log" 2>&1 ||
  { cat "$OUT/apt-install.log" >&2; fail "apt-get install failed"; }
ok "installed in $(( $(date +%s) - t0 ))s"
dpkg -L "$pkg" | sort >"$OUT/dpkg-L.txt"
diff <(printf '%s\n' "${pkg_paths[@]}" | grep -vx '/' | sort) <(grep -vx '/\.' "$OUT/dpkg-L.txt") >/dev/null ||
  fail "dpkg -L differs from the package's contents (see $OUT/dpkg-L.txt)"
while read -r p; do [ -e "$p" ] || fail "dpkg -L lists $p but it is missing"; done <"$OUT/dpkg-L.txt"
for s in "${ICON_SIZES[@]}"; do
  [ -f "/usr/share/icons/hicolor/$s/apps/$PKG_BIN.png" ] || fail "no installed $s icon"
done
exec_path=$(command -v "$(desktop_key Exec | cut -d' ' -f1)") || fail "the desktop entry's Exec ($(desktop_key Exec)) is not on PATH"
[ "$exec_path" = "/usr/bin/$PKG_BIN" ] || fail "Exec resolves to $exec_path"
ok "dpkg -L matches; icons in hicolor; Exec resolves to $exec_path"

# --- run the installed binaries -----------------------------------------------------------------
home=$(mktemp -d)
app_pid="" xvfb_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null && wait "$app_pid" 2>/dev/null
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null && wait "$xvfb_pid" 2>/dev/null
  rm -rf "$home" "$x"
}
trap cleanup EXIT
mkdir -p "$home/config" "$home/run" && chmod 700 "$home/run"
# A throwaway user: nothing the app or bai write lands in the real HOME.
run_env=(env -i PATH=/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$home/run"
  XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" XDG_CACHE_HOME="$home/.cache"
  BAI_CONFIG_DIR="$home/config" BAI_SECRET_STORE=memory LANG=C.UTF-8)

say "installed bai"
got=$("${run_env[@]}" bai --version) || fail "bai --version failed"
echo "    \$ bai --version: $got"
[ "$got" = "bai $version" ] || fail "bai --version says '$got', expected 'bai $version'"
list=$("${run_env[@]}" bai profile list 2>&1) || fail "bai profile list failed: $list"
echo "    \$ bai profile list: $list"
ok "bai --version and bai profile list run"

say "installed app under Xvfb"
display=""
for n in $(seq 90 99); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=:$n; break; fi
done
[ -n "$display" ] || fail "no free X display in :90-:99"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo -display "$display" >/dev/null 2>&1 || fail "Xvfb did not start on $display (see $OUT/xvfb.log)"
"${run_env[@]}" DISPLAY="$display" dbus-run-session -- "/usr/bin/$PKG_BIN" >"$OUT/app.log" 2>&1 &
app_pid=$!
t0=$(date +%s)
win=""
for _ in $(seq 150); do
  win=$(xwininfo -display "$display" -root -tree 2>/dev/null | grep -F "\"$WINDOW_TITLE\"" | awk '{print $1}' | head -n1 || true)
  [ -n "$win" ] && break
  kill -0 "$app_pid" 2>/dev/null || { cat "$OUT/app.log" >&2; fail "the installed app exited early"; }
  sleep 0.2
done
[ -n "$win" ] || { cat "$OUT/app.log" >&2; fail "no '$WINDOW_TITLE' window within 30 s"; }
ok "window '$WINDOW_TITLE' ($win) after $(( $(date +%s) - t0 ))s"
wm_class=$(xprop -display "$display" -id "$win" WM_CLASS 2>/dev/null | sed -n 's/.*= //p')
echo "    WM_CLASS: $wm_class (desktop entry StartupWMClass: $(desktop_key StartupWMClass))"
grep -qF "\"$(desktop_key StartupWMClass)\"" <<<"$wm_class" || fail "StartupWMClass does not match the window's WM_CLASS"
# Give the web view time to load and paint the embedded front end.
sleep 4
kill -0 "$app_pid" 2>/dev/null || { cat "$OUT/app.log" >&2; fail "the installed app exited"; }
DISPLAY=$display import -window root "$OUT/installed-app.png"
colours=$(identify -format '%k' "$OUT/installed-app.png")
# A blank or error-only view has a handful of colours; the launcher's UI (text, gradients) has many.
((colours > 200)) || fail "the screenshot has only $colours colours: the front end did not render ($OUT/installed-app.png)"
ok "screenshot $OUT/installed-app.png ($colours colours)"
kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
app_pid=""
kill "$xvfb_pid" && wait "$xvfb_pid" 2>/dev/null || true
xvfb_pid=""

# --- "Try the demo" in the installed app ---------------------------------------------------------
# The installed binary is driven the way the E2E suite drives a dev build: tauri-driver starts it
# through WebKitWebDriver, which sets TAURI_WEBVIEW_AUTOMATION=true in its environment (wry
# enables WebKit automation on that variable, in release builds too). The app keeps the same
# throwaway user and PATH=/usr/bin:/bin, where there must be no JupyterLab: the first test checks
# the explanation, the second installs JupyterLab through the app into that user's data dir.
say "installed app: Try the demo (tauri-driver, tests/e2e/installed_demo.py)"
BAI_CACHE=${BAI_CACHE:-$HOME/.cache/bai-launcher}
tauri_driver=$BAI_CACHE/tools/bin/tauri-driver
e2e_python=$BAI_CACHE/e2e/bin/python
[ -x "$tauri_driver" ] && [ -x "$e2e_python" ] ||
  fail "the E2E tools are missing ($tauri_driver, $e2e_python): run tests/e2e/run.sh once, which installs both"
[ -x /usr/bin/WebKitWebDriver ] || fail "WebKitWebDriver is missing: run scripts/setup-system.sh (Debian: webkit2gtk-driver)"
for p in /usr/bin/jupyter-lab /bin/jupyter-lab; do
  [ ! -e "$p" ] || fail "$p exists: this check needs a PATH (/usr/bin:/bin) without JupyterLab"
done
demo_pids() {  # the packaged demo servers running now, by their executable
  local d
  for d in /proc/[0-9]*; do
    [ "$(readlink "$d/exe" 2>/dev/null)" = "$DEMO_BIN" ] && echo "${d#/proc/}"
  done
  return 0
}
[ -z "$(demo_pids)" ] || fail "a packaged demo server runs already: $(demo_pids | tr '\n' ' ')"
display=""
for n in $(seq 90 99); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=:$n; break; fi
done
[ -n "$display" ] || fail "no free X display in :90-:99"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$OUT/xvfb-demo.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
port=4444
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 2)); done
# pip's downloads are kept between runs (PIP_CACHE_DIR); the install itself is the app's.
mkdir -p "$BAI_CACHE/pip"
rm -f "$OUT"/[0-9][0-9]-*.png "$OUT/driver.pid"
"${run_env[@]}" DISPLAY="$display" PIP_CACHE_DIR="$BAI_CACHE/pip" dbus-run-session -- \
  bash -c 'echo $$ >"$0"; exec "$@"' "$OUT/driver.pid" \
  "$tauri_driver" --port "$port" --native-port "$((port + 1))" >"$OUT/tauri-driver.log" 2>&1 &
app_pid=$!  # dbus-run-session around tauri-driver; the app is started by the first test
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
driver_pid=$(cat "$OUT/driver.pid" 2>/dev/null) || fail "tauri-driver did not start (see $OUT/tauri-driver.log)"
rm -f "$OUT/driver.pid"
t0=$(date +%s)
status=0
E2E_APP=/usr/bin/$PKG_BIN E2E_WEBDRIVER="http://127.0.0.1:$port" E2E_OUT="$OUT" \
  E2E_LOG_DIR="$home/.local/share/ai.backend.launcher/logs" BAI_CONFIG_DIR="$home/config" \
  "$e2e_python" -m pytest -q -p no:cacheprovider tests/e2e/installed_demo.py 2>&1 |
  sed 's/^/    /' || status=$?
cat "$home/.local/share/ai.backend.launcher/logs/"* >"$OUT/app-demo.log" 2>/dev/null || true
# tauri-driver, then what it started (WebKitWebDriver; the app has quit in the last test).
driver_children=$(ps -o pid= --ppid "$driver_pid" 2>/dev/null || true)
kill "$driver_pid" 2>/dev/null || true
for p in $driver_children; do kill "$p" 2>/dev/null || true; done
wait "$app_pid" 2>/dev/null || true
app_pid=""
kill "$xvfb_pid" && wait "$xvfb_pid" 2>/dev/null || true
xvfb_pid=""
left=$(demo_pids)
if [ -n "$left" ]; then
  for p in $left; do kill "$p" 2>/dev/null || true; done
  fail "packaged demo servers left running after the app quit: $left"
fi
((status == 0)) || fail "Try the demo in the installed app (see the screenshots and app-demo.log in $OUT)"
ok "Try the demo: the explanation without JupyterLab, the in-app install, a notebook window ($(( $(date +%s) - t0 ))s)"
ls -1 "$OUT"/[0-9]*-*.png 2>/dev/null | sed "s|^$ROOT/|    screenshot: |"

# --- purge --------------------------------------------------------------------------------------
say "apt-get purge $pkg"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "$pkg" >"$OUT/apt-purge.log" 2>&1 ||
  { cat "$OUT/apt-purge.log" >&2; fail "apt-get purge failed"; }
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed' && fail "$pkg is still installed"
left=()
while read -r p; do
  grep -qxF "$p" "$preexisting" && continue
  [ -e "$p" ] || [ -L "$p" ] && left+=("$p")
done <"$OUT/dpkg-L.txt"
((${#left[@]} == 0)) || fail "left behind after purge: ${left[*]}"
ok "purged; none of the $(wc -l <"$OUT/dpkg-L.txt") paths it installed remain (shared directories that existed before do)"
say "package check passed"
