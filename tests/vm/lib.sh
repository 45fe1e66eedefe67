# shellcheck shell=bash
# Helpers of the VM tests: a QEMU machine that plays a freshly rented VPS.
# It boots the rescue system (kernel + rescue initrd from
# tools/build-vm-assets) with a blank virtio disk and user-mode networking
# that forwards a free loopback port to its sshd. When the guest reboots,
# QEMU exits (-no-reboot) and the supervisor starts it again from its disk,
# as a provider's "reboot into the installed system" does.
#
# $VM_ARCH (from the assets' env file) is the guest's architecture: amd64
# (the default; SeaBIOS, or OVMF when a test asks for UEFI) or arm64 (an
# emulated `virt` machine that always boots the UEFI firmware of Debian's
# qemu-efi-aarch64, the rescue system's kernel through it as well).
#
# Acceleration: TCG unless /dev/kvm is usable for stock kernels. On some
# machines /dev/kvm is kvm_pvm (software nested virtualisation that runs only
# PVM guest kernels: a Debian kernel hangs at once), so its presence is
# probed, never assumed. RECONCILE_VM_ACCEL=kvm|tcg overrides. An arm64
# guest (on an amd64 machine) is always TCG.
VM_ARM64_FIRMWARE=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd

vm_accel_args() {
  local accel=${RECONCILE_VM_ACCEL:-auto}
  if [ "$accel" = auto ]; then
    if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then accel=kvm; else accel=tcg; fi
  fi
  if [ "$accel" = kvm ]; then
    echo "-enable-kvm -cpu host"
  else
    echo "-accel tcg,thread=multi -cpu qemu64"
  fi
}

# vm_machine_args: QEMU's binary, machine, CPU and firmware for $VM_ARCH.
vm_machine_args() {
  if [ "${VM_ARCH:-amd64}" = arm64 ]; then
    echo "qemu-system-aarch64 -M virt -accel tcg,thread=multi -cpu max,pauth-impdef=on" \
      "-bios $VM_ARM64_FIRMWARE"
  else
    echo "qemu-system-x86_64 $(vm_accel_args)"
  fi
}

vm_console() { if [ "${VM_ARCH:-amd64}" = arm64 ]; then echo ttyAMA0; else echo ttyS0; fi; }

vm_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# vm_qemu TAG ARGS...: one QEMU run in the foreground; its pid in $VM_WORK/qemu.pid.
# $VM_NETDEV_EXTRA, when set, is appended to the user-mode netdev's options
# (",restrict=on,guestfwd=..." for a guest whose only network is a service
# on this machine's loopback).
vm_qemu() {
  local tag=$1
  shift
  # shellcheck disable=SC2046
  # -nodefaults: no floppy, CD-ROM or parallel port for the guests to probe.
  $(vm_machine_args) -nodefaults -m 1024 -smp 2 -display none -no-reboot \
    -serial "file:$VM_WORK/serial-$tag.log" -monitor none \
    -drive "file=$VM_WORK/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$VM_PORT-:22${VM_NETDEV_EXTRA:-}" \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56 \
    -device virtio-rng-pci -pidfile "$VM_WORK/qemu.pid" "$@"
}

# Boots the rescue system; after each guest reboot boots from the disk.
vm_start() {
  qemu-img create -q -f qcow2 "$VM_WORK/disk.qcow2" 8G
  (
    vm_qemu rescue -kernel "$VM_KERNEL" -initrd "$VM_RESCUE_INITRD" \
      -append "console=$(vm_console) quiet" >"$VM_WORK/qemu-rescue.log" 2>&1
    echo "$(date +%s.%N) rescue exited" >>"$VM_WORK/events"
    boot=1
    while [ ! -e "$VM_WORK/stop" ] && [ "$boot" -le 3 ]; do
      # $VM_WORK/firmware, when a test writes it, names the firmware of the
      # next amd64 boots (OVMF for UEFI); SeaBIOS otherwise. (arm64's
      # machine has no boot order to set and always boots its UEFI.)
      firmware=()
      if [ "${VM_ARCH:-amd64}" != arm64 ]; then firmware=(-boot c); fi
      if [ -s "$VM_WORK/firmware" ]; then firmware+=(-bios "$(cat "$VM_WORK/firmware")"); fi
      vm_qemu "disk$boot" "${firmware[@]}" >"$VM_WORK/qemu-disk$boot.log" 2>&1
      echo "$(date +%s.%N) disk boot $boot exited" >>"$VM_WORK/events"
      boot=$((boot + 1))
    done
  ) &
  VM_SUPERVISOR=$!
}

vm_stop() {
  touch "$VM_WORK/stop"
  local pid socket
  for socket in "$VM_WORK"/*.ssh; do
    [ -S "$socket" ] && ssh -o ControlPath="$socket" -O exit vm >/dev/null 2>&1
  done
  # QEMU removes its pid file when it exits: read it once, quietly.
  pid=$(cat "$VM_WORK/qemu.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  if [ -n "${VM_SUPERVISOR:-}" ]; then
    kill "$VM_SUPERVISOR" 2>/dev/null || true
    wait "$VM_SUPERVISOR" 2>/dev/null || true
  fi
  pid=$(cat "$VM_WORK/qemu.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
}

# vm_ssh KNOWN_HOSTS COMMAND...: OpenSSH into the guest, host key checked.
# One connection per KNOWN_HOSTS file is kept open and shared (a handshake
# costs about a second in an emulated guest). The control socket is named
# after the known_hosts file, never after host and port: the rescue system
# and the installed system answer on the same port with different keys, and
# a command meant for one must never ride on the other's connection.
vm_ssh() {
  local known_hosts=$1
  shift
  ssh -i "$VM_CLIENT_KEY" -p "$VM_PORT" -o UserKnownHostsFile="$known_hosts" \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
    -o ControlMaster=auto -o ControlPath="$known_hosts.ssh" -o ControlPersist=120 \
    root@127.0.0.1 "$@"
}

# vm_wait_ssh KNOWN_HOSTS SECONDS
vm_wait_ssh() {
  local deadline=$(($(date +%s) + $2))
  until vm_ssh "$1" true 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then return 1; fi
    sleep 0.5
  done
}
