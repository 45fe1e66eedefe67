# shellcheck shell=bash
# Sourced by make-template. What every host of a testbed has in common,
# written once per testbed through an overlay of the machine's `/` into a
# template upper directory that each host then copies:
#   - no machine host keys (each host gets its own, added by `up`),
#   - its own sshd_config, key-only login,
#   - root and `deploy` log in with the testbed's client key, `deploy` has
#     passwordless sudo,
#   - with --systemd, only sshd enabled.
#
# Every write goes through the overlay mount point, so it lands in the upper
# directory with the modes and owners of the originals (copy-up); the
# machine's own /etc is never opened for writing. `useradd --root` chroots
# into the overlay for the same reason.

# prepare_root_home ROOT: root's shell start-up files as on a fresh Debian
# system (from /etc/skel). Without this a host would run the machine's own
# /root/.bashrc on every SSH command (bash reads it even for `ssh host cmd`),
# which here sets up language version managers and costs most of a second:
# the hosts would not look like the servers they stand for.
prepare_root_home() {
  local root=$1 file
  for file in .bashrc .profile; do
    if [ -f "$root/etc/skel/$file" ]; then
      install -m 0644 "$root/etc/skel/$file" "$root/root/$file"
    else
      : >"$root/root/$file"
    fi
  done
}

# prepare_template ROOT CLIENT_PUB MODE
#   ROOT        the mounted overlay
#   CLIENT_PUB  the testbed's client public key
#   MODE        plain | systemd
prepare_template() {
  local root=$1 client_pub=$2 mode=$3
  prepare_sshd "$root"
  prepare_root_home "$root"
  authorize_key "$root" root "$client_pub"
  if ! grep -q '^deploy:' "$root/etc/passwd"; then
    useradd --root "$root" --create-home --shell /bin/bash --password '*' --user-group \
      --comment 'testbed non-root user' deploy
  fi
  authorize_key "$root" deploy "$client_pub"
  install -d -m 0750 "$root/etc/sudoers.d"
  printf 'deploy ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$root/etc/sudoers.d/testbed-deploy"
  chmod 0440 "$root/etc/sudoers.d/testbed-deploy"
  if [ "$mode" = systemd ]; then
    prepare_units "$root"
  fi
}

# The machine's host keys must never be offered by a test host.
prepare_sshd() {
  local root=$1
  rm -f "$root"/etc/ssh/ssh_host_*
  rm -f "$root"/etc/ssh/sshd_config.d/*.conf
  cat >"$root/etc/ssh/sshd_config" <<'EOF'
# sshd of a testbed host (written by tools/testbed; the machine's own
# sshd_config is not used): Debian defaults plus key-only login.
Include /etc/ssh/sshd_config.d/*.conf
Port 22
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
UseDNS no
PrintMotd no
MaxStartups 100:30:200
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

# authorize_key ROOT USER PUBKEY_FILE: USER's ~/.ssh/authorized_keys inside
# ROOT, owned by USER's uid as ROOT's own /etc/passwd defines it.
authorize_key() {
  local root=$1 user=$2 pub=$3 entry uid gid home
  entry=$(grep "^$user:" "$root/etc/passwd")
  IFS=: read -r _ _ uid gid _ home _ <<<"$entry"
  install -d -m 0700 -o "$uid" -g "$gid" "$root$home/.ssh"
  install -m 0600 -o "$uid" -g "$gid" "$pub" "$root$home/.ssh/authorized_keys"
}

# A booted host starts only what a test host needs (sshd); the machine's other
# enabled services and timers (databases, apt-daily...) are disabled, not
# masked, so a test can still enable them for real. Fifty hosts running
# apt-daily at boot would otherwise swamp the machine.
prepare_units() {
  local root=$1 wants link
  wants=$root/etc/systemd/system/multi-user.target.wants
  mkdir -p "$wants"
  for link in "$wants"/*.service "$root"/etc/systemd/system/timers.target.wants/*.timer; do
    [ -e "$link" ] || [ -L "$link" ] || continue
    [ "${link##*/}" = ssh.service ] || rm -f "$link"
  done
  ln -sfn /lib/systemd/system/ssh.service "$wants/ssh.service"
  ln -sfn /lib/systemd/system/ssh.service "$root/etc/systemd/system/sshd.service"
  # Nobody reads the container console (nspawn --console=passive); its getty
  # would cost a process and an inotify instance per host (see
  # check_inotify_budget in tools/testbed).
  ln -sfn /dev/null "$root/etc/systemd/system/console-getty.service"
}

# make_dev_template DIR: the /dev every plain host starts with: the usual
# character devices and the links; the machine's disks are deliberately
# absent so that no test reaches them by accident. DIR must be on a file
# system that allows device nodes.
make_dev_template() {
  local dev=$1
  mkdir -p "$dev"
  chmod 0755 "$dev"
  mknod -m 0666 "$dev/null" c 1 3
  mknod -m 0666 "$dev/zero" c 1 5
  mknod -m 0666 "$dev/full" c 1 7
  mknod -m 0666 "$dev/random" c 1 8
  mknod -m 0666 "$dev/urandom" c 1 9
  mknod -m 0666 "$dev/tty" c 5 0
  mkdir -m 0755 "$dev/pts"
  mkdir -m 1777 "$dev/shm"
  ln -s pts/ptmx "$dev/ptmx"
  ln -s /proc/self/fd "$dev/fd"
  ln -s /proc/self/fd/0 "$dev/stdin"
  ln -s /proc/self/fd/1 "$dev/stdout"
  ln -s /proc/self/fd/2 "$dev/stderr"
}
