# Installs Debian into $TARGET: debootstrap, then the kernel and GRUB in a
# chroot. Shared by the two install routes of `reconcile bootstrap`:
#   --install debootstrap  runs it on the target host into /mnt (DEV=bind)
#   --install image        runs it on the controller into a cache directory
#                          (DEV=none), then packs the tree (image.cc)
# and by tools/build-vm-assets. It is compiled into reconcile (embedded at
# build time), and its SHA-256 is part of the image cache key, so editing it
# invalidates cached images.
#
# Variables set before it: TARGET RELEASE ARCH MIRROR DEV (bind|none), and
# PHASE: all (the default), base (debootstrap only) or kernel (the chroot
# part only, into a tree that PHASE=base made); the debootstrap route runs
# the two phases as two steps, so its progress says which one is running.
# The tree it leaves has no SSH host keys and an empty machine-id: per-host
# identity is placed by the bootstrap's configure step, never shared.
# With LIST_PACKAGES=1 (and ARCH) it only prints the packages it asks for:
# debootstrap's --include list on one line, the chroot's on the next
# (tools/build-local-mirror).
set -eu
: "${ARCH:?}"
case $ARCH in
  amd64) extra="linux-image-amd64 grub-pc grub-efi-amd64-bin efibootmgr" ;;
  arm64) extra="linux-image-arm64 grub-efi-arm64 efibootmgr" ;;
  *) echo "install-debian: unsupported architecture $ARCH" >&2; exit 1 ;;
esac
# fdisk (sfdisk) because the disk module's probe reads partition tables with
# it on every run; the file system tools of every layout (fsck at boot).
base=systemd-sysv,udev,openssh-server,iproute2,kmod,procps,fdisk,e2fsprogs,dosfstools
base=$base,xfsprogs,btrfs-progs,lvm2,ca-certificates,zstd,initramfs-tools,less
if [ "${LIST_PACKAGES:-}" = 1 ]; then
  printf '%s\n%s\n' "$base" "$extra"
  exit 0
fi
: "${TARGET:?}" "${RELEASE:?}" "${MIRROR:?}" "${DEV:?}"
phase=${PHASE:-all}
case $phase in
  all | base | kernel) ;;
  *) echo "install-debian: unknown PHASE $phase (all, base or kernel)" >&2; exit 1 ;;
esac
if [ "$phase" = kernel ] && [ ! -x "$TARGET/usr/bin/apt-get" ]; then
  echo "install-debian: no base system in $TARGET (PHASE=base first)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
log=$(mktemp /tmp/install-debian.XXXXXX)
step() { echo "install-debian: $*"; }

if [ "$phase" != kernel ]; then
  # The tree's top becomes the new system's "/" (a mktemp -d would leave 0700).
  chmod 0755 "$TARGET"
  step "debootstrap $RELEASE ($ARCH) from $MIRROR"
  if ! debootstrap --variant=minbase --arch="$ARCH" --include="$base" \
    "$RELEASE" "$TARGET" "$MIRROR" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ "$phase" = base ]; then
    rm -f "$log"
    step "base system done"
    exit 0
  fi
fi

mounted=
release_mounts() {
  for m in $mounted; do umount -l "$TARGET/$m" 2>/dev/null || true; done
}
trap release_mounts EXIT
mount -t proc proc "$TARGET/proc" && mounted="proc $mounted"
mount -t sysfs sysfs "$TARGET/sys" && mounted="sys $mounted"
# On the controller the chroot never sees the host's /dev (nothing in it may
# touch the controller's disks); on the target it needs the real disks.
if [ "$DEV" = bind ]; then
  mount --bind /dev "$TARGET/dev" && mounted="dev $mounted"
  mount --bind /dev/pts "$TARGET/dev/pts" && mounted="dev/pts $mounted"
fi

# A generic initramfs (MODULES=dep would look at the build machine's disks)
# and a GRUB that installs nowhere until the configure step says where.
mkdir -p "$TARGET/etc/initramfs-tools/conf.d"
printf 'MODULES=most\nCOMPRESS=zstd\n' >"$TARGET/etc/initramfs-tools/conf.d/reconcile.conf"
printf '%s\n' 'grub-pc grub-pc/install_devices multiselect' \
  'grub-pc grub-pc/install_devices_empty boolean true' | chroot "$TARGET" debconf-set-selections
step "kernel and GRUB: $extra"
# shellcheck disable=SC2086
if ! chroot "$TARGET" apt-get install -y -q --no-install-recommends $extra >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  exit 1
fi
chroot "$TARGET" apt-get clean
release_mounts
trap - EXIT
rm -f "$log"

rm -f "$TARGET"/etc/ssh/ssh_host_* "$TARGET/var/lib/dbus/machine-id"
: >"$TARGET/etc/machine-id"
step "done"
