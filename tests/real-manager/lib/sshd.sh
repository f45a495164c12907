# OpenSSH's sshd behind the sessions' `sshd` app, as JupyterLab is behind their jupyter apps.
# Sourced by start.sh and stop.sh after common.sh, with RM_RUN set.
#
# The dummy agent reports the sshd app (container port 2200, which every kernel has) at
# 127.0.0.1:$RM_SSHD_PORT (RM_DUMMY_APPS), so the manager's /stream/session/{id}/tcpproxy?app=sshd
# relays to this server. It runs as the test user with a host key of its own and reads
# AuthorizedKeysFile from $RM_RUN/home/work/.ssh/authorized_keys: $RM_RUN/home/work is what the
# patched dummy agent (agentpatch/sitecustomize.py, REALMGR_DUMMY_HOME) serves as every
# session's /home/work through the session file API (upload, download_single), so a key that a
# client puts in the session's ~/.ssh/authorized_keys through the manager is what this sshd
# accepts. No password, PAM or keyboard-interactive login; SFTP is internal-sftp.

RM_SSHD=${REALMGR_SSHD:-/usr/sbin/sshd}

rm_session_home() { printf '%s\n' "$RM_RUN/home/work"; }

sshd_up() {
  local banner
  banner=$(timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$RM_SSHD_PORT && head -c 4 <&3" 2>/dev/null) &&
    [ "$banner" = SSH- ]
}

sshd_start() {
  [ -x "$RM_SSHD" ] || rm_die "no sshd at $RM_SSHD: apt-get install openssh-server (or set REALMGR_SSHD)"
  sshd_up && return 0
  local dir=$RM_RUN/sshd home
  home=$(rm_session_home)
  mkdir -p "$dir" "$home/.ssh"
  chmod 700 "$dir" "$home/.ssh"
  [ -f "$home/.ssh/authorized_keys" ] || : >"$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
  [ -f "$dir/host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C bai-realmgr-host -f "$dir/host_ed25519_key" </dev/null
  # As root (CI containers), sshd insists on its privilege separation directory.
  if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd && chmod 755 /run/sshd
  fi
  cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1:$RM_SSHD_PORT
HostKey $dir/host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $home/.ssh/authorized_keys
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
UseDNS no
LogLevel VERBOSE
Subsystem sftp internal-sftp
CONF
  setsid "$RM_SSHD" -D -e -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 </dev/null &
  printf '%s\n' $! >"$dir/launcher.pid"
}
