// The bootstrap's scripts: the file bundle run through the real framing of
// the local transport, and the others checked for what they must contain.

#include "reconciler/bootstrap/scripts.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>

#include "reconciler/bootstrap/machine_files.h"
#include "reconciler/transport/local_transport.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::transport::testing::read_file;
using reconcile::transport::testing::run_sync;
using reconcile::transport::testing::TempDir;

namespace {

transport::Output run_local(const std::string& script, std::string_view input) {
  asio::io_context io;
  auto local = transport::make_local_transport(io);
  auto output = run_sync(io, local->run(script, input, {}));
  REQUIRE_MESSAGE(output.has_value(), output.error().message());
  return *output;
}

uint32_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("a file bundle writes every file from stdin with its mode, whatever the bytes") {
  TempDir root;
  FileBundle bundle;
  bundle.add("/etc/hostname", 0644, "web1\n");
  bundle.add("/etc/ssh/ssh_host_ed25519_key", 0600, std::string("-----\0\xff\n'$(x)'", 13));
  bundle.add("/etc/empty", 0644, "");
  bundle.add("/root/.ssh/authorized_keys", 0600, "ssh-ed25519 AAAA x\n");
  std::string script =
      "set -eu\numask 022\n" + bundle.script(root.path()) + "cat >/dev/null; echo after\n";
  CHECK(script.find("$(x)") == std::string::npos);  // content never reaches the script
  transport::Output output = run_local(script, bundle.input().view());
  INFO(output.err);
  REQUIRE(output.exit_code == 0);
  CHECK(output.out == "after\n");
  CHECK(read_file(root.file("etc/hostname")) == "web1\n");
  CHECK(read_file(root.file("etc/ssh/ssh_host_ed25519_key")) ==
        std::string("-----\0\xff\n'$(x)'", 13));
  CHECK(mode_of(root.file("etc/ssh/ssh_host_ed25519_key")) == 0600);
  CHECK(mode_of(root.file("etc/hostname")) == 0644);
  CHECK(read_file(root.file("etc/empty")).empty());
  CHECK(mode_of(root.file("root/.ssh/authorized_keys")) == 0600);
}

TEST_CASE("a short input stops the bundle with an error") {
  TempDir root;
  FileBundle bundle;
  bundle.add("/a", 0644, "0123456789");
  std::string script = "set -eu\n" + bundle.script(root.path());
  transport::Output output = run_local(script, "01234");
  CHECK(output.exit_code != 0);
  CHECK(output.err.find("short input") != std::string::npos);
}

TEST_CASE("the new system's files") {
  auto key = generate_host_key("root@web1");
  REQUIRE(key.has_value());
  MachineFiles files;
  files.hostname = "web1";
  files.network.mac = "52:54:00:12:34:56";
  files.network.dns = {"10.0.2.3"};
  files.authorized_keys = "ssh-ed25519 AAAA admin";
  files.host_key = &*key;
  FileBundle bundle = machine_files(files);
  std::vector<std::string> expected = {"/etc/hostname",
                                       "/etc/hosts",
                                       "/etc/systemd/network/50-reconcile.network",
                                       "/etc/resolv.conf",
                                       "/etc/ssh/ssh_host_ed25519_key",
                                       "/etc/ssh/ssh_host_ed25519_key.pub",
                                       "/etc/ssh/sshd_config.d/50-reconcile-host-key.conf",
                                       "/root/.ssh/authorized_keys",
                                       "/etc/default/grub.d/50-reconcile.cfg"};
  CHECK(bundle.paths() == expected);
  CHECK(bundle.input().view().find("ssh-ed25519 AAAA admin\n") != std::string_view::npos);
}

TEST_CASE("prepare creates the mount root and leaves an unmounted one alone") {
  TempDir dir;
  std::string root = dir.file("m n't");
  transport::Output output = run_local(prepare_script(root), {});
  INFO(output.err);
  CHECK(output.exit_code == 0);
  CHECK(output.out.empty());
  CHECK(std::filesystem::is_directory(root));
}

TEST_CASE("the kernel phase refuses a tree without a base system and writes no marker") {
  TempDir dir;
  std::string root = dir.file("mnt");
  std::filesystem::create_directories(root);
  ImageSpec spec{"bookworm", "amd64", "http://deb.debian.org/debian"};
  transport::Output output = run_local(debootstrap_kernel_script(root, spec, "id-1"), {});
  CHECK(output.exit_code == 1);
  CHECK(output.err.find("install-debian: no base system in " + root + " (PHASE=base first)") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(root + "/var/lib/reconcile/bootstrap-install"));
  output = run_local(
      "set -eu\n" + install_debian_command("'" + root + "'", spec, "none", "kernels"), {});
  CHECK(output.exit_code == 1);
  CHECK(output.err.find("install-debian: unknown PHASE kernels (all, base or kernel)") !=
        std::string::npos);
}

TEST_CASE("configure installs GRUB where the decisions say, all values quoted") {
  FileBundle bundle;
  bundle.add("/etc/hostname", 0644, "web1\n");
  BootSetup boot;
  boot.bios_devices = {"/dev/vda"};
  boot.efi_directory = "/boot/efi";
  boot.efi_target = "x86_64-efi";
  std::string script = configure_script("/mnt", bundle, boot);
  CHECK(script.find("chroot \"$root\" grub-install --target=i386-pc '/dev/vda'\n") !=
        std::string::npos);
  CHECK(script.find("grub-install --target='x86_64-efi' --efi-directory='/boot/efi' "
                    "--removable --no-nvram\n") != std::string::npos);
  CHECK(script.find("--bootloader-id=debian") == std::string::npos);
  CHECK(script.find("'grub-pc grub-pc/install_devices multiselect /dev/vda'") != std::string::npos);
  CHECK(script.find("update-grub") != std::string::npos);
  CHECK(script.find("mount --make-rslave") != std::string::npos);
  boot.efi_nvram = true;
  boot.bios_devices.clear();
  script = configure_script("/mnt", bundle, boot);
  CHECK(script.find("--bootloader-id=debian") != std::string::npos);
  CHECK(script.find("i386-pc") == std::string::npos);
}

TEST_CASE("debootstrap, kexec and reboot scripts") {
  ImageSpec spec{"bookworm", "amd64", "http://deb.debian.org/debian"};
  std::string base = debootstrap_base_script("/mnt", spec);
  CHECK(base.find("DEV='bind' PHASE='base'") != std::string::npos);
  CHECK(base.find("</dev/null") != std::string::npos);
  CHECK(base.find("bootstrap-install") == std::string::npos);  // no marker after debootstrap
  std::string install = debootstrap_kernel_script("/mnt", spec, "debootstrap-bookworm-amd64");
  CHECK(install.find("DEV='bind' PHASE='kernel'") != std::string::npos);
  CHECK(install.find("</dev/null") != std::string::npos);
  CHECK(install.find("'debootstrap-bookworm-amd64'") != std::string::npos);
  std::string kexec = kexec_script(100, 200, "console=ttyS0 x='y'");
  CHECK(kexec.find("cmdline='console=ttyS0 x='\\''y'\\'''") != std::string::npos);
  CHECK(kexec.find("kexec -l") != std::string::npos);
  std::string reboot = reboot_script("/mnt");
  CHECK(reboot.find("umount -R") != std::string::npos);
  CHECK(reboot.find("sysrq") != std::string::npos);
}
