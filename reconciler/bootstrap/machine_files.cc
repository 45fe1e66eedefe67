#include "reconciler/bootstrap/machine_files.h"

namespace reconcile::bootstrap {

namespace {

// sshd reads only the key the controller pinned: a second host key type
// would let a client negotiate a key nobody pinned.
constexpr std::string_view kSshdDropIn =
    "# Written by reconcile bootstrap: the host key the controller pinned.\n"
    "HostKey /etc/ssh/ssh_host_ed25519_key\n";

// A serial console as well as the screen: most VPS consoles are serial.
constexpr std::string_view kGrubDefaults =
    "# Written by reconcile bootstrap.\n"
    "GRUB_TIMEOUT=1\n"
    "GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200n8\"\n"
    "GRUB_TERMINAL=\"console serial\"\n"
    "GRUB_SERIAL_COMMAND=\"serial --unit=0 --speed=115200\"\n";

std::string hosts_file(const std::string& hostname) {
  return "127.0.0.1\tlocalhost\n127.0.1.1\t" + hostname +
         "\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\n"
         "ff02::2\tip6-allrouters\n";
}

}  // namespace

FileBundle machine_files(const MachineFiles& files) {
  FileBundle bundle;
  bundle.add("/etc/hostname", 0644, files.hostname + "\n");
  bundle.add("/etc/hosts", 0644, hosts_file(files.hostname));
  bundle.add("/etc/systemd/network/50-reconcile.network", 0644, networkd_config(files.network));
  bundle.add("/etc/resolv.conf", 0644, resolv_conf(files.network));
  bundle.add("/etc/ssh/ssh_host_ed25519_key", 0600, files.host_key->private_key.view());
  bundle.add("/etc/ssh/ssh_host_ed25519_key.pub", 0644, files.host_key->public_line + "\n");
  bundle.add("/etc/ssh/sshd_config.d/50-reconcile-host-key.conf", 0644, kSshdDropIn);
  std::string keys = files.authorized_keys;
  if (!keys.empty() && keys.back() != '\n') keys += "\n";
  bundle.add("/root/.ssh/authorized_keys", 0600, keys);
  bundle.add("/etc/default/grub.d/50-reconcile.cfg", 0644, kGrubDefaults);
  return bundle;
}

}  // namespace reconcile::bootstrap
