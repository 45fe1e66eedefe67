// Preflight facts from canned sections, and how the target disk is used.

#include "reconciler/bootstrap/preflight.h"

#include <doctest/doctest.h>

#include "tests/unit/bootstrap/bootstrap_test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::bootstrap::testing::CannedMachine;
using reconcile::bootstrap::testing::read_source;

namespace {

std::string mounted_probe(const std::string& target) {
  std::string text = read_source("tests/data/disk/probe-vps-mounted.txt");
  std::string from = "/ /tmp/dt/root rw";
  size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), "/ " + target + " rw");
}

}  // namespace

TEST_CASE("a rescue system's preflight") {
  CannedMachine machine;
  auto facts = parse_preflight(machine.sections());
  REQUIRE_MESSAGE(facts.has_value(), facts.error().message());
  CHECK(facts->machine == "x86_64");
  CHECK(facts->arch == "amd64");
  CHECK(facts->boot_mode == "bios");
  CHECK(facts->init == "sh");
  CHECK(facts->uid == 0);
  CHECK(facts->memory_bytes == 1010000ull * 1024);
  CHECK(facts->memory_available_bytes == 700000ull * 1024);
  CHECK(facts->os == "Debian GNU/Linux 12 (bookworm)");
  CHECK(facts->tools.count("sfdisk") == 1);
  CHECK(facts->tools.count("kexec") == 0);
  CHECK(facts->network.interface == "eth0");
  CHECK(facts->authorized_keys.find("admin") != std::string::npos);
  REQUIRE(facts->disks.devices.size() == 1);
  CHECK(facts->disks.devices[0].device == "/dev/loop0");
  DiskUse use = target_disk_use(facts->disks, {"/dev/loop0"}, "/mnt");
  CHECK_FALSE(use.holds_running_system);
  CHECK(use.uses.empty());
}

TEST_CASE("arm64 is amd64's sibling; other machines have no Debian architecture here") {
  CannedMachine machine;
  machine.machine = "aarch64";
  CHECK(parse_preflight(machine.sections())->arch == "arm64");
  machine.machine = "riscv64";
  CHECK(parse_preflight(machine.sections())->arch.empty());
}

TEST_CASE("broken preflight output is data loss naming what broke") {
  CannedMachine machine;
  auto sections = machine.sections();
  sections["system"].text = "memtotal lots\n";
  auto bad_number = parse_preflight(sections);
  REQUIRE_FALSE(bad_number.has_value());
  CHECK(bad_number.error().code() == ErrorCode::kDataLoss);
  sections = machine.sections();
  sections["system"].text = "";
  CHECK_FALSE(parse_preflight(sections).has_value());
  sections = machine.sections();
  sections["disk"].text = "@@disk begin 1\n@@disk device\n";
  auto truncated = parse_preflight(sections);
  REQUIRE_FALSE(truncated.has_value());
  CHECK(truncated.error().message().find("disk facts") != std::string::npos);
}

TEST_CASE("the target disk holding / is the running system; leftovers under /mnt are not") {
  CannedMachine machine;
  machine.disk_probe = mounted_probe("/");
  auto facts = parse_preflight(machine.sections());
  REQUIRE(facts.has_value());
  DiskUse use = target_disk_use(facts->disks, {"/dev/loop0"}, "/mnt");
  CHECK(use.holds_running_system);
  CHECK(use.uses == std::vector<std::string>{"/ (/dev/loop0p3)"});
  disk::DiskFacts installer = without_running_system(facts->disks, {"/dev/loop0"});
  CHECK(target_disk_use(installer, {"/dev/loop0"}, "/mnt").uses.empty());
  // The machine's own root on another disk stays.
  CHECK(installer.mounts.size() == 1);

  machine.disk_probe = mounted_probe("/mnt");
  facts = parse_preflight(machine.sections());
  REQUIRE(facts.has_value());
  CHECK(target_disk_use(facts->disks, {"/dev/loop0"}, "/mnt").uses.empty());
  machine.disk_probe = mounted_probe("/srv");
  facts = parse_preflight(machine.sections());
  use = target_disk_use(facts->disks, {"/dev/loop0"}, "/mnt");
  CHECK_FALSE(use.holds_running_system);
  CHECK(use.uses == std::vector<std::string>{"/srv (/dev/loop0p3)"});
}

TEST_CASE("the preflight probe asks for every section and quotes the devices") {
  auto fragments = preflight_fragments({"/dev/vda", "/dev/it's"});
  std::vector<std::string> names;
  for (const auto& fragment : fragments)
    names.push_back(fragment.section);
  CHECK(names == std::vector<std::string>{"system", "tools", "ip-addr", "route4", "route6",
                                          "resolv", "keys", "disk"});
  CHECK(fragments.back().script.find("'/dev/it'\\''s'") != std::string::npos);
}
