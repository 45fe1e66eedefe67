#!/usr/bin/env bash
# VM end-to-end test of `reconcile bootstrap` (ctest label `vm`): a QEMU
# machine with a blank 8 GiB disk, booted into the rescue system, is
# bootstrapped with the image route: partitioned (vps-gpt), Debian streamed
# in, configured, rebooted from its disk and converged (groups, users,
# files, a secret on tmpfs). Then, over SSH with the host key bootstrap
# printed: the partitions (lsblk), the host key, hostname, network, users and
# files, the secret's content, owner and mode on the tmpfs /run/secrets, the
# age identity from the secrets store, and an empty plan from a second,
# ordinary run.
#
# With --debootstrap (test vm_bootstrap_debootstrap, label slow) the route is
# `--install debootstrap` instead: debootstrap and the chroot's apt run in the
# guest, against a partial Debian mirror (tools/build-local-mirror, cached
# beside the other assets) that this script serves on loopback. The guest's
# user-mode network is restricted: its only way out is a forward of
# 10.0.2.100:80 to that server, so every package provably comes from it.
#
# With --arm64 (test vm_bootstrap_arm64, label slow) the same debootstrap
# route runs on an emulated arm64 machine (QEMU `virt`, UEFI firmware from
# qemu-efi-aarch64), from an arm64 rescue system built through emulation
# (the `vm_assets_arm64` fixture, tools/build-vm-assets --arch arm64) and an
# arm64 local mirror. Its firmware keeps no NVRAM across QEMU runs, so its
# first boot from the disk already goes through the ESP's removable path
# (EFI/BOOT/BOOTAA64.EFI); the amd64 runs' last step, a UEFI reboot, is
# left out.
#
# Needs root, qemu-system-x86_64 (qemu-system-aarch64 for --arm64) and the
# assets of tools/build-vm-assets (the `vm_assets` fixture builds them; their
# cache is $RECONCILE_VM_CACHE).
# Exits 77 (skipped) with the reason when QEMU cannot run here.
set -Eeuo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

reconcile=${1:?usage: bootstrap_test.sh RECONCILE_BINARY [--kexec|--debootstrap|--arm64]}
# --kexec: then bootstrap the installed system once more, as a provider's
# stock image running from the target disk: `--kexec` switches it into the
# in-memory installer (test vm_bootstrap_kexec, label slow).
# --debootstrap: install with debootstrap from a local mirror (see above).
# --arm64: the same on an emulated arm64 machine.
mode=${2:-}
arch=amd64
debootstrap=
case $mode in
  "" | --kexec) ;;
  --debootstrap) debootstrap=1 ;;
  --arm64) debootstrap=1 arch=arm64 ;;
  *) echo "bootstrap_test.sh: unknown mode $mode" >&2; exit 1 ;;
esac
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "the VM tests need root"
cache=${RECONCILE_VM_CACHE:-/var/cache/reconcile-vm}
assets_env=$cache/assets.env
if [ "$arch" = arm64 ]; then
  command -v qemu-system-aarch64 >/dev/null ||
    skip "qemu-system-aarch64 is not installed (qemu-system-arm; tools/install-deps)"
  [ -r "$VM_ARM64_FIRMWARE" ] ||
    skip "no arm64 UEFI firmware at $VM_ARM64_FIRMWARE (qemu-efi-aarch64; tools/install-deps)"
  assets_env=$cache/assets-arm64.env
else
  command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
  # UEFI firmware for the last boot (Debian package ovmf).
  ovmf=/usr/share/ovmf/OVMF.fd
  [ -r "$ovmf" ] || skip "no UEFI firmware at $ovmf (Debian package ovmf)"
fi
[ -s "$assets_env" ] ||
  skip "no VM assets in $assets_env (tools/build-vm-assets failed or did not run)"
# shellcheck disable=SC1090
. "$assets_env"
[ "${VM_ARCH:-amd64}" = "$arch" ] || skip "$assets_env is for ${VM_ARCH:-amd64}, not $arch"

test_start=$(date +%s)
if [ -n "$debootstrap" ]; then
  command -v socat >/dev/null || skip "socat is not installed (tools/install-deps)"
  # The partial mirror, cached by the scripts that decide its content.
  mirror_hash=$(cat "$here/../../tools/build-local-mirror" \
    "$here/../../reconciler/bootstrap/install_debian.sh" | sha256sum | cut -c1-12)
  local_mirror=$cache/mirror-$arch-$mirror_hash
  (
    flock 9
    if [ ! -s "$local_mirror/packages.txt" ]; then
      rm -rf "$local_mirror.tmp"
      "$here/../../tools/build-local-mirror" --arch "$arch" --mirror "$VM_MIRROR" \
        "$local_mirror.tmp"
      mv "$local_mirror.tmp" "$local_mirror"
      # Older mirrors of this architecture (or named without one) go.
      for old in "$cache"/mirror-*; do
        case ${old#"$cache"/mirror-} in "$arch"-*) ;; amd64-* | arm64-*) continue ;; esac
        [ "$old" = "$local_mirror" ] || rm -rf "$old"
      done
    fi
  ) 9>"$cache/.lock"
  echo "== local mirror $local_mirror ready after $(($(date +%s) - test_start)) s"
fi
VM_WORK=$(mktemp -d /tmp/reconcile-vm-test.XXXXXX)
VM_PORT=$(vm_free_port)
status=1
mirror_server=
finish() {
  vm_stop
  if [ -n "$mirror_server" ]; then
    kill "$mirror_server" 2>/dev/null || true
    wait "$mirror_server" 2>/dev/null || true
  fi
  if [ "$status" != 0 ]; then
    echo "---- bootstrap stderr (tail)"; tail -n 40 "$VM_WORK/bootstrap.err" 2>/dev/null || true
    for log in "$VM_WORK"/serial-*.log; do
      [ -f "$log" ] && { echo "---- $log (tail)"; tail -n 30 "$log"; }
    done
    echo "---- events"; cat "$VM_WORK/events" 2>/dev/null || true
    [ -f "$VM_WORK/mirror.log" ] && { echo "---- mirror.log (tail)"; tail -n 20 "$VM_WORK/mirror.log"; }
  fi
  rm -rf "$VM_WORK"
}
trap finish EXIT
trap 'exit 143' TERM INT HUP  # so that a ctest timeout still stops QEMU
fail() { echo "FAIL: $*"; exit 1; }
elapsed() { echo "$(($(date +%s) - test_start)) s"; }

if [ -n "$debootstrap" ]; then
  mirror_port=$(vm_free_port)
  python3 -m http.server --bind 127.0.0.1 --directory "$local_mirror" "$mirror_port" \
    >"$VM_WORK/mirror.log" 2>&1 &
  mirror_server=$!
  # No route out: the guest reaches only sshd's forward and the mirror.
  VM_NETDEV_EXTRA=",restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:socat - TCP:127.0.0.1:$mirror_port"
  install=(--install debootstrap --mirror http://10.0.2.100/debian)
  echo "== mirror on 127.0.0.1:$mirror_port, the guest's http://10.0.2.100/debian"
else
  install=(--install image --image-cache "$VM_IMAGE_CACHE" --mirror "$VM_MIRROR")
fi
echo "== VM on 127.0.0.1:$VM_PORT ($(vm_machine_args)), work $VM_WORK"
vm_start
echo "[127.0.0.1]:$VM_PORT $(cut -d' ' -f1,2 "$VM_RESCUE_HOST_KEY")" >"$VM_WORK/rescue_known_hosts"
vm_wait_ssh "$VM_WORK/rescue_known_hosts" 240 || fail "the rescue system did not answer SSH in 240 s"
echo "== rescue up after $(elapsed)"

# The desired state: a repository with one host.
repo=$VM_WORK/repo
mkdir -p "$repo/hosts" "$repo/disk-layouts"
: >"$repo/reconcile.yaml"
cp "$here/../../disk-layouts/vps-gpt.yaml" "$repo/disk-layouts/"
client_key=$(cut -d' ' -f1,2 "$VM_CLIENT_KEY.pub")
cat >"$repo/hosts/vm1.yaml" <<YAML
address: 127.0.0.1
ssh: { port: $VM_PORT }
os: { family: debian, release: bookworm }
disk: { layout: vps-gpt, device: /dev/vda }
groups:
  ops: { gid: 2001 }
users:
  alice:
    uid: 2001
    group: ops
    shell: /bin/bash
    authorized_keys: ["$client_key alice"]
files:
  /etc/reconcile-vm-test:
    content: "bootstrapped by reconcile\n"
    owner: root
    group: ops
    mode: "0640"
  /srv/data: { type: directory, mode: "0750" }
secrets:
  app-token: { owner: alice, group: ops, mode: "0440" }
YAML

# The host's age identity in the secrets store, encrypted to the controller.
mkdir -p "$repo/secrets/hosts"
age-keygen -o "$VM_WORK/controller.key" 2>/dev/null
age-keygen -o "$VM_WORK/vm1.key" 2>/dev/null
age -r "$(age-keygen -y "$VM_WORK/controller.key")" -o "$repo/secrets/hosts/vm1.age" "$VM_WORK/vm1.key"
# A secret the converge step delivers onto the tmpfs /run/secrets.
token="token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$token" | age -r "$(age-keygen -y "$VM_WORK/controller.key")" -o "$repo/secrets/app-token.age"

common=(-C "$repo" --ssh-key "$VM_CLIENT_KEY" --no-agent --known-hosts "$VM_WORK/known_hosts"
  "${install[@]}" --rescue-host-key "$VM_RESCUE_HOST_KEY" --identity "$VM_WORK/controller.key")

echo "== dry run"
rc=0
"$reconcile" bootstrap vm1 "${common[@]}" --dry-run >"$VM_WORK/plan.txt" 2>"$VM_WORK/plan.err" || rc=$?
cat "$VM_WORK/plan.txt"
[ "$rc" = 2 ] || { cat "$VM_WORK/plan.err"; fail "dry run exited $rc, expected 2"; }
grep -q "disk .*\[DESTRUCTIVE\]" "$VM_WORK/plan.txt" || fail "the plan does not mark the disk step destructive"
grep -q "needs --allow-destructive" "$VM_WORK/plan.txt" || fail "the plan does not ask for --allow-destructive"
if [ "$arch" = arm64 ]; then
  grub="GRUB: UEFI (arm64-efi) in /boot/efi with an NVRAM entry"
  chroot_packages="linux-image-arm64, grub-efi-arm64, efibootmgr"
else
  grub="GRUB: BIOS (i386-pc) on /dev/vda; UEFI (x86_64-efi) in /boot/efi"
  chroot_packages="linux-image-amd64, grub-pc, grub-efi-amd64-bin, efibootmgr"
fi
grep -q "$grub" "$VM_WORK/plan.txt" || fail "the plan does not say '$grub'"
grep -q "decrypted from secrets/hosts/vm1.age" "$VM_WORK/plan.txt" ||
  fail "the plan does not deliver the host's age identity"
grep -q "then in the chroot: $chroot_packages" "$VM_WORK/plan.txt" ||
  fail "the plan does not list the kernel and GRUB packages"
if [ -n "$debootstrap" ]; then
  grep -q "debootstrap Debian bookworm $arch into /mnt" "$VM_WORK/plan.txt" ||
    fail "the plan does not install with debootstrap"
fi
vm_ssh "$VM_WORK/rescue_known_hosts" 'test ! -e /dev/vda1' || fail "the dry run changed the disk"

echo "== without --allow-destructive"
rc=0
"$reconcile" bootstrap vm1 "${common[@]}" >/dev/null 2>"$VM_WORK/refused.err" || rc=$?
[ "$rc" = 3 ] || fail "bootstrap without --allow-destructive exited $rc, expected 3"
grep -q "allow-destructive" "$VM_WORK/refused.err" || fail "the refusal does not name --allow-destructive"
vm_ssh "$VM_WORK/rescue_known_hosts" 'test ! -e /dev/vda1' || fail "the refused run changed the disk"

echo "== bootstrap"
bootstrap_start=$(date +%s)
rc=0
"$reconcile" bootstrap vm1 "${common[@]}" --allow-destructive --boot-timeout 600 \
  >"$VM_WORK/bootstrap.out" 2>"$VM_WORK/bootstrap.err" || rc=$?
cat "$VM_WORK/bootstrap.out"
grep -E '\] [a-z]+: done in|debootstrap done in|streamed|answers' "$VM_WORK/bootstrap.err" || true
[ "$rc" = 0 ] || fail "bootstrap exited $rc"
echo "== bootstrap took $(($(date +%s) - bootstrap_start)) s"

host_key=$(grep -A1 'pinned for this run' "$VM_WORK/bootstrap.out" | tail -1 | sed 's/^ *//')
case $host_key in ssh-ed25519\ *) ;; *) fail "no host key line in the output: '$host_key'" ;; esac
echo "[127.0.0.1]:$VM_PORT $host_key" >"$VM_WORK/new_known_hosts"

echo "== checks over SSH (host key pinned: $host_key)"
# ssh joins its arguments into one remote command line: quote each word.
run() { vm_ssh "$VM_WORK/new_known_hosts" "$(printf '%q ' "$@")"; }
run true || fail "SSH with the printed host key failed"
[ "$(run cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" = "$host_key" ] ||
  fail "the host's key file differs from the pinned key"
layout=$(run lsblk -n -r -o NAME,PARTLABEL,FSTYPE,MOUNTPOINT /dev/vda)
echo "$layout"
grep -q '^vda1 bios  $' <<<"$layout" || fail "vda1 is not the empty BIOS boot partition"
grep -q '^vda2 esp vfat /boot/efi$' <<<"$layout" || fail "vda2 is not the ESP on /boot/efi"
grep -q '^vda3 root ext4 /$' <<<"$layout" || fail "vda3 is not the ext4 root"
root_uuid=$(run findmnt -n -o UUID /)
run grep -q "^UUID=$root_uuid / ext4" /etc/fstab || fail "fstab does not mount / by UUID"
if [ "$arch" = arm64 ]; then
  run test -f /boot/efi/EFI/BOOT/BOOTAA64.EFI || fail "no UEFI GRUB on the ESP's removable path"
  [ "$(run uname -m)" = aarch64 ] || fail "the installed system is not an arm64 one"
  run test -d /sys/firmware/efi || fail "the arm64 system did not boot with UEFI"
  echo "arm64: $(run uname -srm)"
else
  run test -f /boot/efi/EFI/BOOT/BOOTX64.EFI || fail "no UEFI GRUB on the ESP"
  # This boot went through SeaBIOS; the UEFI boot comes at the end.
  run test ! -d /sys/firmware/efi || fail "the first boot should have been a BIOS boot"
fi
[ "$(run hostname)" = vm1 ] || fail "the hostname is not vm1"
run grep -q 'MACAddress=52:54:00:12:34:56' /etc/systemd/network/50-reconcile.network ||
  fail "no networkd configuration for the NIC"
state=$(run systemctl is-system-running --wait || true)
echo "system state: $state"
[ "$state" = running ] || { run systemctl --failed || true; fail "the system is $state, not running"; }
# Where the first boot's time went (for the timings in docs/bootstrap.md).
run systemd-analyze time || true
run systemd-analyze critical-chain ssh.service || true
[ "$(run id -u alice)" = 2001 ] || fail "alice does not exist with uid 2001"
[ "$(run id -gn alice)" = ops ] || fail "alice's primary group is not ops"
[ "$(run stat -c '%U:%G %a' /etc/reconcile-vm-test)" = "root:ops 640" ] ||
  fail "/etc/reconcile-vm-test has the wrong owner or mode"
[ "$(run cat /etc/reconcile-vm-test)" = "bootstrapped by reconcile" ] || fail "wrong file content"
[ "$(run stat -c '%F %a' /srv/data)" = "directory 750" ] || fail "/srv/data is not a 0750 directory"
[ "$(run stat -c '%U %a' /var/lib/reconcile/host.key /var/lib/reconcile)" = "root 600
root 700" ] || fail "host.key is not root's with mode 0600 in a 0700 directory"
[ "$(run cat /var/lib/reconcile/host.key)" = "$(cat "$VM_WORK/vm1.key")" ] ||
  fail "host.key is not the host's age identity from the repository"
[ "$(run findmnt -n -o FSTYPE /run/secrets)" = tmpfs ] || fail "/run/secrets is not a tmpfs"
[ "$(run stat -c '%U:%G %a' /run/secrets/app-token)" = "alice:ops 440" ] ||
  fail "/run/secrets/app-token has the wrong owner or mode"
[ "$(run cat /run/secrets/app-token)" = "$token" ] || fail "the secret's content differs"
if [ -n "$debootstrap" ]; then
  # debootstrap wrote the mirror it used into the new system's sources.list
  # (an image would name $VM_MIRROR), and the local mirror served it all.
  run grep -q '^deb http://10.0.2.100/debian bookworm main$' /etc/apt/sources.list ||
    fail "the installed system's sources.list does not name the local mirror"
  pool_gets=$(grep -ac '"GET /debian/pool/.*" 200 ' "$VM_WORK/mirror.log" || true)
  echo "local mirror: $pool_gets packages served, $(grep -ac '" 200 ' "$VM_WORK/mirror.log") requests"
  [ "$pool_gets" -ge "$(find "$local_mirror/debian/pool" -name '*.deb' | wc -l)" ] ||
    fail "the guest fetched fewer packages ($pool_gets) than the mirror holds"
  if grep -a '" [45][0-9][0-9] ' "$VM_WORK/mirror.log"; then fail "the guest asked the mirror for files it lacks"; fi
fi

# expect_empty_plan OUT WHAT: an ordinary dry run with the host key recorded
# in the host file must plan nothing.
expect_empty_plan() {
  local rc=0
  "$reconcile" --dry-run -C "$repo" --host vm1 --ssh-key "$VM_CLIENT_KEY" --no-agent \
    --known-hosts /dev/null --identity "$VM_WORK/controller.key" >"$VM_WORK/$1" 2>&1 || rc=$?
  cat "$VM_WORK/$1"
  [ "$rc" = 0 ] || fail "$2 is not empty (exit $rc)"
}

echo "== second run: the plan must be empty"
sed -i "s|^ssh: { port: $VM_PORT }|ssh: { port: $VM_PORT, host_key: \"$host_key\" }|" "$repo/hosts/vm1.yaml"
expect_empty_plan second.txt "the second plan"

if [ "$mode" = --kexec ]; then
  echo "== bootstrap again from the running system, through --kexec"
  rc=0
  "$reconcile" bootstrap vm1 -C "$repo" --ssh-key "$VM_CLIENT_KEY" --no-agent \
    --known-hosts "$VM_WORK/known_hosts" --install image --image-cache "$VM_IMAGE_CACHE" \
    --mirror "$VM_MIRROR" --rescue-host-key "$host_key" --identity "$VM_WORK/controller.key" \
    --kexec "$VM_INSTALLER_DIR" --allow-destructive --boot-timeout 600 \
    >"$VM_WORK/kexec.out" 2>"$VM_WORK/kexec.err" || rc=$?
  cat "$VM_WORK/kexec.out"
  grep -E '\] [a-z]+: done in|installer|answers|kexec' "$VM_WORK/kexec.err" || true
  [ "$rc" = 0 ] || { tail -n 40 "$VM_WORK/kexec.err"; fail "bootstrap --kexec exited $rc"; }
  grep -q 'the installer answers SSH with the pinned key' "$VM_WORK/kexec.err" ||
    fail "the installer did not answer with its pinned key"
  grep -q 'kexec: done in' "$VM_WORK/kexec.err" || fail "no kexec step ran"
  kexec_key=$(grep -A1 'pinned for this run' "$VM_WORK/kexec.out" | tail -1 | sed 's/^ *//')
  case $kexec_key in ssh-ed25519\ *) ;; *) fail "no host key line in the --kexec output" ;; esac
  [ "$kexec_key" != "$host_key" ] || fail "the --kexec run kept the old host key"
  echo "[127.0.0.1]:$VM_PORT $kexec_key" >"$VM_WORK/kexec_known_hosts"
  run2() { vm_ssh "$VM_WORK/kexec_known_hosts" "$(printf '%q ' "$@")"; }
  [ "$(run2 cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub)" = "$kexec_key" ] ||
    fail "after --kexec, the host's key file differs from the pinned key"
  [ "$(run2 findmnt -n -o SOURCE /)" = /dev/vda3 ] || fail "after --kexec, / is not /dev/vda3"
  [ "$(run2 cat /run/secrets/app-token)" = "$token" ] || fail "after --kexec, the secret differs"
  [ "$(run2 id -u alice)" = 2001 ] || fail "after --kexec, alice is missing"
  sed -i "s|host_key: \"$host_key\"|host_key: \"$kexec_key\"|" "$repo/hosts/vm1.yaml"
  expect_empty_plan third.txt "the plan after --kexec"
fi

if [ "$arch" = amd64 ]; then
  # The installed system boots with UEFI as well: the same disk, OVMF instead
  # of SeaBIOS, no NVRAM entries, so the firmware takes GRUB from the ESP's
  # removable path (EFI/BOOT/BOOTX64.EFI).
  echo "== reboot with UEFI firmware (OVMF)"
  final_known_hosts=$VM_WORK/new_known_hosts
  [ "$mode" != --kexec ] || final_known_hosts=$VM_WORK/kexec_known_hosts
  echo "$ovmf" >"$VM_WORK/firmware"
  exits_before=$(grep -c 'exited$' "$VM_WORK/events")
  # (The image has no D-Bus: systemctl says it cannot reach logind's bus and
  # reboots through systemd directly.)
  vm_ssh "$final_known_hosts" systemctl reboot 2>/dev/null || true
  ssh -o ControlPath="$final_known_hosts.ssh" -O exit vm >/dev/null 2>&1 || true
  deadline=$(($(date +%s) + 120))
  # The old system may still answer while it shuts down: wait for QEMU to exit.
  until [ "$(grep -c 'exited$' "$VM_WORK/events")" -gt "$exits_before" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the installed system did not shut down for the UEFI boot"
    sleep 0.5
  done
  vm_wait_ssh "$final_known_hosts" 300 || fail "the installed system did not answer SSH after a UEFI boot"
  echo "== UEFI boot answered after $(elapsed)"
  uefi() { vm_ssh "$final_known_hosts" "$(printf '%q ' "$@")"; }
  uefi test -d /sys/firmware/efi || fail "the system did not boot with UEFI firmware"
  echo "UEFI: $(uefi cat /sys/firmware/efi/fw_platform_size)-bit firmware, $(uefi ls /sys/firmware/efi/efivars | wc -l) EFI variables"
  [ "$(uefi findmnt -n -o SOURCE /)" = /dev/vda3 ] || fail "after the UEFI boot, / is not /dev/vda3"
  [ "$(uefi hostname)" = vm1 ] || fail "after the UEFI boot, the hostname is not vm1"
  state=$(uefi systemctl is-system-running --wait || true)
  [ "$state" = running ] || { uefi systemctl --failed || true; fail "after the UEFI boot the system is $state"; }
fi

awk -v t0="$test_start" '{ t = $1; $1 = ""; printf "==%s at %.1f s\n", $0, t - t0 }' "$VM_WORK/events"
status=0
echo "== PASS in $(elapsed)"
