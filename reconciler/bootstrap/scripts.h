#pragma once

// The scripts a bootstrap runs on the machine (as root, `/bin/sh -s`, every
// value through shell_quote), apart from the disk planner's own steps and
// the image unpacking (image.h). Pure builders: nothing here touches a host.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/bootstrap/image.h"
#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

// Files written by one script from its stdin: the script reads exactly each
// file's size in turn (`head -c`), writes it under a temporary name with its
// mode, then renames it. The input may hold secrets (host keys), so it is a
// SecureBuffer; the script itself holds only paths, modes and sizes.
class FileBundle {
 public:
  void add(std::string path, uint32_t mode, std::string_view content);
  std::string script(const std::string& root) const;  // writes below `root`
  const secrets::SecureBuffer& input() const { return m_input; }
  const std::vector<std::string>& paths() const { return m_paths; }

 private:
  struct Entry {
    std::string path;
    uint32_t mode;
    size_t size;
  };
  std::vector<Entry> m_entries;
  std::vector<std::string> m_paths;
  secrets::SecureBuffer m_input;
};

// Unmounts whatever an earlier attempt left below `mount_root` and makes
// sure the directory exists.
std::string prepare_script(const std::string& mount_root);

// Prints the install marker (<mount_root>/var/lib/reconcile/bootstrap-install)
// or nothing.
std::string install_marker_script(const std::string& mount_root);

// `--install debootstrap`, in two steps: install_debian.sh's base phase
// (debootstrap) on the target into `mount_root`; then its kernel phase (the
// kernel and GRUB in a chroot) and the install marker.
std::string debootstrap_base_script(const std::string& mount_root, const ImageSpec& spec);
std::string debootstrap_kernel_script(const std::string& mount_root, const ImageSpec& spec,
                                      const std::string& install_id);

// How the new system boots.
struct BootSetup {
  std::vector<std::string> bios_devices;     // grub-install --target=i386-pc on each
  std::optional<std::string> efi_directory;  // the ESP's mountpoint ("/boot/efi")
  std::string efi_target;                    // "x86_64-efi", "arm64-efi"
  bool efi_nvram = false;                    // booted in UEFI mode: also add an NVRAM entry
};

// The configure step, after `bundle`'s files are written below `mount_root`:
// the chroot (dev, proc, sys, run bound as slaves), /dev/disk/by-uuid links
// where the system has no udev (so GRUB writes root=UUID=...), the SSH and
// networkd units enabled, GRUB installed and configured as `boot` says, the
// chroot's mounts released. Leaves `mount_root` mounted.
std::string configure_script(const std::string& mount_root, const FileBundle& bundle,
                             const BootSetup& boot);

// Unmounts `mount_root`, syncs, and reboots in the background a second
// later (systemctl on systemd, sysrq otherwise), so the script returns first.
std::string reboot_script(const std::string& mount_root);

// Loads the uploaded kernel and initrd (`kernel_size` then `initrd_size`
// bytes on stdin) with kexec and executes it a second later in the
// background. Installs kexec-tools with apt-get first when kexec is missing.
std::string kexec_script(uint64_t kernel_size, uint64_t initrd_size,
                         const std::string& command_line);

}  // namespace reconcile::bootstrap
