// Decisions checked before anything changes, and the plan as people read it.

#include "reconciler/bootstrap/plan.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "disk-layouts/planner.h"
#include "tests/unit/bootstrap/bootstrap_test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::bootstrap::testing::CannedMachine;
using reconcile::bootstrap::testing::example_layout;
using reconcile::bootstrap::testing::read_source;
using reconcile::bootstrap::testing::vps_host;

namespace {

MachineFacts facts_of(const CannedMachine& machine) {
  auto facts = parse_preflight(machine.sections());
  REQUIRE_MESSAGE(facts.has_value(), facts.error().message());
  return *facts;
}

std::string refusal(const state::Host& host, const disk::DiskLayout& layout,
                    const CannedMachine& machine, const BootstrapSettings& settings = {}) {
  auto decided = decide(host, layout, facts_of(machine), settings);
  REQUIRE_FALSE(decided.has_value());
  return decided.error().message();
}

}  // namespace

TEST_CASE("a BIOS rescue system and the VPS layout: GRUB for both firmware kinds") {
  auto decided = decide(vps_host(), example_layout("vps-gpt"), facts_of(CannedMachine{}), {});
  REQUIRE_MESSAGE(decided.has_value(), decided.error().message());
  CHECK_FALSE(decided->kexec);
  CHECK(decided->mount_root == "/mnt");
  CHECK(decided->image.release == "bookworm");
  CHECK(decided->image.arch == "amd64");
  CHECK(decided->boot.bios_devices == std::vector<std::string>{"/dev/loop0"});
  REQUIRE(decided->boot.efi_directory.has_value());
  CHECK(*decided->boot.efi_directory == "/boot/efi");
  CHECK(decided->boot.efi_target == "x86_64-efi");
  CHECK_FALSE(decided->boot.efi_nvram);
  CHECK(decided->keep_on_unpack == std::vector<std::string>{"/boot/efi"});
}

TEST_CASE("UEFI machines get an NVRAM entry; the release comes from os:") {
  CannedMachine machine;
  machine.boot = "uefi";
  state::Host host = vps_host();
  host.os = state::OsSpec{"debian", "trixie"};
  auto decided = decide(host, example_layout("vps-gpt"), facts_of(machine), {});
  REQUIRE(decided.has_value());
  CHECK(decided->boot.efi_nvram);
  CHECK(decided->image.release == "trixie");
}

TEST_CASE("an arm64 UEFI machine: arm64 packages, GRUB for arm64-efi only, no BIOS GRUB") {
  CannedMachine machine;
  machine.machine = "aarch64";
  machine.boot = "uefi";
  auto decided = decide(vps_host(), example_layout("vps-gpt"), facts_of(machine), {});
  REQUIRE_MESSAGE(decided.has_value(), decided.error().message());
  CHECK(decided->image.arch == "arm64");
  CHECK(decided->boot.bios_devices.empty());
  REQUIRE(decided->boot.efi_directory.has_value());
  CHECK(decided->boot.efi_target == "arm64-efi");
  CHECK(decided->boot.efi_nvram);
  CHECK(install_packages(install_debian_script(), decided->image.arch).kernel.front() ==
        "linux-image-arm64");
}

TEST_CASE("what cannot be bootstrapped is refused before anything changes") {
  disk::DiskLayout vps = example_layout("vps-gpt");
  state::Host no_disk = vps_host();
  no_disk.disk.reset();
  CHECK(refusal(no_disk, vps, {}).find("needs a disk section") != std::string::npos);
  CHECK(refusal(vps_host(), example_layout("encrypted"), {}).find("LUKS or RAID") !=
        std::string::npos);

  CannedMachine user;
  user.uid = "1000";
  CHECK(refusal(vps_host(), vps, user).find("needs root") != std::string::npos);
  CannedMachine riscv;
  riscv.machine = "riscv64";
  CHECK(refusal(vps_host(), vps, riscv).find("unsupported architecture riscv64") !=
        std::string::npos);
  CannedMachine uefi;
  uefi.boot = "uefi";
  uefi.tools += "mkfs.ext4\n";
  CHECK(refusal(vps_host(), example_layout("swap-root"), uefi).find("no esp partition") !=
        std::string::npos);
  CannedMachine arm;
  arm.machine = "aarch64";
  CHECK(refusal(vps_host(), example_layout("swap-root"), arm).find("GRUB on arm64") !=
        std::string::npos);

  CannedMachine bare;
  bare.tools = "sfdisk\nblkid\n";
  std::string missing = refusal(vps_host(), vps, bare);
  CHECK(missing.find("lacks wipefs, lsblk, mount, chroot, mkfs.vfat, mkfs.ext4, debootstrap") !=
        std::string::npos);
  BootstrapSettings image;
  image.install = InstallMethod::kImage;
  CHECK(refusal(vps_host(), vps, bare, image).find("tar, zstd") != std::string::npos);
}

TEST_CASE("a disk that holds the running system needs --kexec, and then enough memory") {
  CannedMachine machine;
  std::string text = read_source("tests/data/disk/probe-vps-mounted.txt");
  text.replace(text.find("/ /tmp/dt/root rw"), 17, "/ / rw");
  machine.disk_probe = text;
  std::string message = refusal(vps_host(), example_layout("vps-gpt"), machine);
  CHECK(message.find("in use by the running system (/ (/dev/loop0p3))") != std::string::npos);
  CHECK(message.find("--kexec DIR") != std::string::npos);

  BootstrapSettings kexec;
  kexec.kexec_dir = "/var/cache/reconcile/installer";
  machine.tools += "kexec\n";
  auto decided = decide(vps_host(), example_layout("vps-gpt"), facts_of(machine), kexec);
  REQUIRE(decided.has_value());
  CHECK(decided->kexec);
  CHECK(decided->use.holds_running_system);
  // The planner then sees the disk as the installer will: not mounted.
  disk::DiskFacts seen = planning_facts(facts_of(machine), *decided);
  auto plan = disk::plan_disk(example_layout("vps-gpt"), {{"/dev/loop0"}, "/mnt"}, seen);
  REQUIRE_MESSAGE(plan.has_value(), plan.error().message());
}

TEST_CASE("the install's package lists come from the install script itself") {
  InstallPackages amd64 = install_packages(install_debian_script(), "amd64");
  REQUIRE(amd64.base.size() > 5);
  CHECK(amd64.base[0] == "systemd-sysv");
  CHECK(std::find(amd64.base.begin(), amd64.base.end(), "openssh-server") != amd64.base.end());
  CHECK(std::find(amd64.base.begin(), amd64.base.end(), "less") != amd64.base.end());  // 2nd line
  CHECK(amd64.kernel == std::vector<std::string>{"linux-image-amd64", "grub-pc",
                                                 "grub-efi-amd64-bin", "efibootmgr"});
  InstallPackages arm64 = install_packages(install_debian_script(), "arm64");
  CHECK(arm64.base == amd64.base);
  CHECK(arm64.kernel ==
        std::vector<std::string>{"linux-image-arm64", "grub-efi-arm64", "efibootmgr"});
  CHECK(install_packages(install_debian_script(), "riscv64").kernel.empty());
  std::string canned =
      "base=a,b\nbase=$base,c\ncase $ARCH in\n  amd64) extra=\"k1  k2\" ;;\n"
      "  arm64) extra=\"k3\" ;;\nesac\n";
  InstallPackages parsed = install_packages(canned, "amd64");
  CHECK(parsed.base == std::vector<std::string>{"a", "b", "c"});
  CHECK(parsed.kernel == std::vector<std::string>{"k1", "k2"});
}

TEST_CASE("the printed plan names every step, the destructive one first among equals") {
  state::Host host = vps_host();
  host.packages = {{"nginx"}, {"telnet", state::Presence::kAbsent}, {"borgbackup"}};
  disk::DiskLayout layout = example_layout("vps-gpt");
  MachineFacts facts = facts_of(CannedMachine{});
  BootstrapSettings settings;
  settings.install = InstallMethod::kImage;
  auto decided = decide(host, layout, facts, settings);
  REQUIRE(decided.has_value());
  auto disk_plan =
      disk::plan_disk(layout, {{"/dev/loop0"}, "/mnt"}, planning_facts(facts, *decided));
  REQUIRE(disk_plan.has_value());
  PlanContext context{host,
                      facts,
                      *decided,
                      settings,
                      *disk_plan,
                      "root@203.0.113.10:22",
                      "cached: /c/debian-bookworm-amd64-x.tar.zst (212 MiB)",
                      "generated on the controller, ED25519 SHA256:abc",
                      "",
                      "no secrets/hosts/web1.age in the repository",
                      600};
  BootstrapPlan plan = make_plan(context);
  std::vector<std::string> names;
  for (const auto& step : plan.steps)
    names.push_back(step_name(step.id));
  CHECK(names == std::vector<std::string>{"prepare", "disk", "install", "configure", "identity",
                                          "reboot", "wait", "converge"});
  std::string text = format_bootstrap_plan(plan, false);
  INFO(text);
  CHECK(text.find("bootstrap web1 (root@203.0.113.10:22)\n") == 0);
  CHECK(text.find("x86_64 (amd64), 986 MiB RAM, BIOS boot") != std::string::npos);
  CHECK(text.find("2. disk      apply layout vps-gpt to /dev/loop0 under /mnt  [DESTRUCTIVE]") !=
        std::string::npos);
  CHECK(text.find("needs --allow-destructive") != std::string::npos);
  CHECK(text.find("stream the Debian bookworm amd64 image into /mnt") != std::string::npos);
  CHECK(text.find("GRUB: BIOS (i386-pc) on /dev/loop0; UEFI (x86_64-efi) in /boot/efi, "
                  "removable path") != std::string::npos);
  CHECK(text.find("sections: users, files") != std::string::npos);
  CHECK(text.find("\n     packages: Debian minbase with systemd-sysv, udev, openssh-server, ") !=
        std::string::npos);
  CHECK(text.find("\n     then in the chroot: linux-image-amd64, grub-pc, grub-efi-amd64-bin, "
                  "efibootmgr\n") != std::string::npos);
  CHECK(
      text.find("\n     packages installed: nginx, borgbackup\n     packages removed: telnet\n") !=
      std::string::npos);
  CHECK(format_bootstrap_plan(plan, true).find("\n     needs --allow-destructive\n") ==
        std::string::npos);
  CHECK(human_size(1ull << 30) == "1.0 GiB");
  CHECK(human_size(212ull << 20) == "212 MiB");
}
