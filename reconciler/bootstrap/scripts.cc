// Each script starts with `set -eu`. The configure step is one script on
// purpose: it is idempotent (files are replaced whole, grub-install and
// update-grub converge), so a resumed bootstrap simply runs it again.

#include "reconciler/bootstrap/scripts.h"

#include <cstdio>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::bootstrap {

namespace {

std::string octal(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777);
  return text;
}

}  // namespace

void FileBundle::add(std::string path, uint32_t mode, std::string_view content) {
  m_entries.push_back({path, mode, content.size()});
  m_paths.push_back(std::move(path));
  m_input.append(content.data(), content.size());
}

std::string FileBundle::script(const std::string& root) const {
  std::string out = "rb_root=" + shell_quote(root) + "\n";
  for (const auto& entry : m_entries) {
    out += "rb_file=\"$rb_root\"" + shell_quote(entry.path) + "\n";
    out += "mkdir -p \"${rb_file%/*}\"\n";
    out +=
        "(umask 077 && head -c " + std::to_string(entry.size) + " >\"$rb_file.reconcile-new\")\n";
    out += "[ \"$(wc -c <\"$rb_file.reconcile-new\")\" -eq " + std::to_string(entry.size) +
           " ] || { echo \"short input for $rb_file\" >&2; exit 1; }\n";
    out += "chmod " + octal(entry.mode) + " \"$rb_file.reconcile-new\"\n";
    out += "mv -f \"$rb_file.reconcile-new\" \"$rb_file\"\n";
  }
  // Nothing after the files may read from stdin. (Only with files: without
  // input the shell itself reads the script from stdin.)
  if (m_entries.empty()) return out;
  return out + "exec </dev/null\n";
}

std::string prepare_script(const std::string& mount_root) {
  std::string out = "set -eu\nroot=" + shell_quote(mount_root) + "\n";
  out +=
      R"sh(if [ -d "$root" ] && awk -v r="$root" '$5 == r || index($5, r "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  umount -R "$root" 2>/dev/null || umount -R -l "$root"
  echo "unmounted what an earlier attempt left below $root"
fi
mkdir -p "$root"
)sh";
  return out;
}

std::string install_marker_script(const std::string& mount_root) {
  return "cat " + shell_quote(mount_root + "/var/lib/reconcile/bootstrap-install") +
         " 2>/dev/null || true\n";
}

std::string debootstrap_base_script(const std::string& mount_root, const ImageSpec& spec) {
  std::string out = "set -eu\nroot=" + shell_quote(mount_root) + "\n";
  return out + install_debian_command("\"$root\"", spec, "bind", "base");
}

std::string debootstrap_kernel_script(const std::string& mount_root, const ImageSpec& spec,
                                      const std::string& install_id) {
  std::string out = "set -eu\nroot=" + shell_quote(mount_root) + "\n";
  out += install_debian_command("\"$root\"", spec, "bind", "kernel");
  out += "mkdir -p \"$root/var/lib/reconcile\"\n";
  out += "printf '%s\\n' " + shell_quote(install_id) +
         " >\"$root/var/lib/reconcile/bootstrap-install\"\nsync\n";
  return out;
}

std::string configure_script(const std::string& mount_root, const FileBundle& bundle,
                             const BootSetup& boot) {
  std::string out = "set -eu\numask 022\nroot=" + shell_quote(mount_root) + "\n";
  out += bundle.script(mount_root);
  out += R"sh(for d in dev proc sys run; do
  if ! mountpoint -q "$root/$d"; then
    mkdir -p "$root/$d"
    mount --rbind "/$d" "$root/$d"
    mount --make-rslave "$root/$d"
  fi
done
release() {
  for d in run sys proc dev; do umount -R "$root/$d" 2>/dev/null || umount -R -l "$root/$d" 2>/dev/null || true; done
}
trap release EXIT
# Without udev there is no /dev/disk/by-uuid, and update-grub would then
# write root=/dev/vda3 instead of root=UUID=...
if [ ! -d /dev/disk/by-uuid ]; then
  mkdir -p /dev/disk/by-uuid
  blkid -o device | while read -r node; do
    uuid=$(blkid -s UUID -o value "$node" 2>/dev/null || true)
    [ -z "$uuid" ] || ln -sf "$node" "/dev/disk/by-uuid/$uuid"
  done
fi
rm -f "$root"/etc/ssh/ssh_host_rsa_key* "$root"/etc/ssh/ssh_host_ecdsa_key* "$root"/etc/ssh/ssh_host_dsa_key*
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
chroot "$root" systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1 ||
  chroot "$root" systemctl enable systemd-networkd.service ssh.service
)sh";
  if (!boot.bios_devices.empty()) {
    std::vector<std::string> quoted;
    for (const auto& device : boot.bios_devices)
      quoted.push_back(shell_quote(device));
    out += "printf '%s\\n' " +
           shell_quote("grub-pc grub-pc/install_devices multiselect " +
                       join(boot.bios_devices, ", ")) +
           " | chroot \"$root\" debconf-set-selections\n";
    for (const auto& device : quoted)
      out += "chroot \"$root\" grub-install --target=i386-pc " + device + "\n";
  }
  if (boot.efi_directory) {
    std::string common = "chroot \"$root\" grub-install --target=" + shell_quote(boot.efi_target) +
                         " --efi-directory=" + shell_quote(*boot.efi_directory);
    // The removable path (EFI/BOOT/BOOTX64.EFI) boots without NVRAM entries,
    // which a new disk or a VM's firmware may not have.
    out += common + " --removable --no-nvram\n";
    if (boot.efi_nvram) out += common + " --bootloader-id=debian\n";
  }
  out +=
      "if ! rb_out=$(chroot \"$root\" update-grub 2>&1); then echo \"$rb_out\" >&2; exit 1; fi\n";
  out += "release\ntrap - EXIT\nsync\n";
  return out;
}

std::string reboot_script(const std::string& mount_root) {
  std::string out = "set -eu\nroot=" + shell_quote(mount_root) + "\n";
  out += R"sh(sync
if mountpoint -q "$root"; then umount -R "$root" 2>/dev/null || umount -R -l "$root"; fi
sync
if [ -d /run/systemd/system ]; then
  setsid sh -c 'sleep 1; systemctl reboot' </dev/null >/dev/null 2>&1 &
else
  # No init system to ask (a rescue or the installer): the file systems are
  # unmounted and synced, so the sysrq reboot loses nothing.
  setsid sh -c 'sleep 1; echo 1 >/proc/sys/kernel/sysrq; echo b >/proc/sysrq-trigger' </dev/null >/dev/null 2>&1 &
fi
echo rebooting
)sh";
  return out;
}

std::string kexec_script(uint64_t kernel_size, uint64_t initrd_size,
                         const std::string& command_line) {
  std::string out = "set -eu\n";
  out += "kernel_size=" + std::to_string(kernel_size) + "\n";
  out += "initrd_size=" + std::to_string(initrd_size) + "\n";
  out += "cmdline=" + shell_quote(command_line) + "\n";
  out += R"sh(if ! command -v kexec >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q kexec-tools </dev/null >/dev/null
  else
    echo "kexec is not installed and there is no apt-get to install kexec-tools" >&2
    exit 1
  fi
fi
dir=$(mktemp -d /run/reconcile-kexec.XXXXXX 2>/dev/null || mktemp -d /dev/shm/reconcile-kexec.XXXXXX)
trap 'rm -rf "$dir"' EXIT
head -c "$kernel_size" >"$dir/vmlinuz"
head -c "$initrd_size" >"$dir/initrd"
if [ "$(wc -c <"$dir/vmlinuz")" -ne "$kernel_size" ] || [ "$(wc -c <"$dir/initrd")" -ne "$initrd_size" ]; then
  echo "the upload of the installer was cut short" >&2
  exit 1
fi
kexec -l "$dir/vmlinuz" --initrd="$dir/initrd" --command-line="$cmdline"
if [ -d /run/systemd/system ]; then
  setsid sh -c 'sleep 1; systemctl kexec' </dev/null >/dev/null 2>&1 &
else
  setsid sh -c 'sleep 1; sync; kexec -e' </dev/null >/dev/null 2>&1 &
fi
echo "kexec loaded"
)sh";
  return out;
}

}  // namespace reconcile::bootstrap
