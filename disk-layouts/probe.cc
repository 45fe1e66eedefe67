// The probe fragment. It only reads: lsblk, sfdisk -J and blkid -p open the
// devices read-only, and the rest are files under /proc and the fstab. It is
// written for `set -eu` (the combined probe runs that way): every command
// whose failure is information rather than an error has its exit code
// captured and reported in the marker line.

#include "disk-layouts/facts.h"
#include "reconciler/base/shell.h"

namespace reconcile::disk {

namespace {

// Shell functions shared by every device. Payload lines are prefixed with
// '|' by awk (which, unlike sed, also ends an unterminated last line).
constexpr std::string_view kProbeFunctions = R"sh(rd_payload() { awk '{ print "|" $0 }'; }
rd_device() {
  echo '@@disk device'
  printf '|%s\n' "$1"
  if [ ! -b "$1" ]; then echo '@@disk missing'; return 0; fi
  rd_rc=0; rd_out=$(lsblk -J -b -O "$1" 2>&1) || rd_rc=$?
  echo "@@disk lsblk $rd_rc"
  printf '%s\n' "$rd_out" | rd_payload
  rd_rc=0; rd_out=$(sfdisk -J "$1" 2>/dev/null) || rd_rc=$?
  echo "@@disk sfdisk $rd_rc"
  [ -z "$rd_out" ] || printf '%s\n' "$rd_out" | rd_payload
  lsblk -lnpo PATH "$1" | while IFS= read -r rd_node; do
    rd_rc=0; rd_out=$(blkid -p -o export "$rd_node" 2>/dev/null) || rd_rc=$?
    echo "@@disk blkid $rd_rc"
    printf '|%s\n' "$rd_node"
    [ -z "$rd_out" ] || printf '%s\n' "$rd_out" | rd_payload
  done
}
)sh";

}  // namespace

std::string under_root(const std::string& mount_root, const std::string& mountpoint) {
  std::string root = mount_root;
  while (root.size() > 1 && root.back() == '/')
    root.pop_back();
  if (root.empty() || root == "/") return mountpoint;
  if (mountpoint == "/") return root;
  return root + mountpoint;
}

std::string disk_probe_script(const std::vector<std::string>& devices,
                              const std::string& mount_root) {
  std::string script(kProbeFunctions);
  script += "echo '@@disk begin 1'\n";
  for (const std::string& device : devices)
    script += "rd_device " + shell_quote(device) + "\n";
  script += "echo '@@disk mountinfo'\nrd_payload < /proc/self/mountinfo\n";
  script += "echo '@@disk swaps'\nrd_payload < /proc/swaps\n";
  std::string fstab = shell_quote(under_root(mount_root, "/etc/fstab"));
  script += "if [ -f " + fstab + " ]; then echo '@@disk fstab 1'; rd_payload < " + fstab +
            "; else echo '@@disk fstab 0'; fi\n";
  script += "echo '@@disk end'\n";
  return script;
}

}  // namespace reconcile::disk
