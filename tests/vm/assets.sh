#!/usr/bin/env bash
# The `vm_assets` ctest fixture: builds or reuses the VM test assets with
# tools/build-vm-assets. Exits 77 (skipped) with the reason where the VM
# tests cannot run.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
reconcile=${1:?usage: assets.sh RECONCILE_BINARY}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "the VM tests need root (debootstrap, QEMU)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (tools/install-deps)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (tools/install-deps)"
[ "$(dpkg --print-architecture)" = amd64 ] || skip "the VM tests run amd64 guests on amd64 only"
start=$(date +%s)
"$here/../../tools/build-vm-assets" --reconcile "$reconcile"
echo "vm assets ready in $(($(date +%s) - start)) s"
