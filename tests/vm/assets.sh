#!/usr/bin/env bash
# The `vm_assets` ctest fixture: builds or reuses the VM test assets with
# tools/build-vm-assets. Exits 77 (skipped) with the reason where the VM
# tests cannot run. With --arch arm64 (fixture `vm_assets_arm64`): the arm64
# installer and rescue system, built through emulation (several minutes the
# first time).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
reconcile=${1:?usage: assets.sh RECONCILE_BINARY [--arch arm64]}
arch=amd64
if [ "${2:-}" = --arch ]; then arch=${3:?--arch needs amd64 or arm64}; fi
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "the VM tests need root (debootstrap, QEMU)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (tools/install-deps)"
[ "$(dpkg --print-architecture)" = amd64 ] || skip "the VM tests run on amd64 machines only"
case $arch in
  amd64)
    command -v qemu-system-x86_64 >/dev/null ||
      skip "qemu-system-x86_64 is not installed (tools/install-deps)" ;;
  arm64)
    command -v qemu-system-aarch64 >/dev/null ||
      skip "qemu-system-aarch64 is not installed (qemu-system-arm; tools/install-deps)" ;;
  *) echo "assets.sh: unsupported architecture $arch" >&2; exit 1 ;;
esac
start=$(date +%s)
"$here/../../tools/build-vm-assets" --reconcile "$reconcile" --arch "$arch"
echo "vm assets ($arch) ready in $(($(date +%s) - start)) s"
