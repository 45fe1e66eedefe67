// System facts parsed from canned probe output of three distributions.

#include <doctest/doctest.h>

#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;

namespace {

Sections sample(const std::string& system, const std::string& os_release) {
  Sections sections;
  sections["system"].text = system;
  sections["os-release"].text = os_release;
  sections["lsblk"].text =
      R"({"blockdevices": [{"name":"vda","maj:min":"254:0","rm":false,"size":21474836480,"ro":false,"type":"disk","mountpoints":[null],
          "children": [{"name":"vda1","size":1048576,"type":"part","mountpoints":[null]},
                       {"name":"vda2","size":21473787904,"type":"part","mountpoints":["/"]}]}]})";
  sections["mounts"].text =
      "/dev/vda2 / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n"
      "/dev/vdb /mnt/with\\040space ext4 rw 0 0\n";
  sections["ip-addr"].text =
      R"([{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"203.0.113.10","prefixlen":24}]}])";
  sections["ip-route"].text = R"([{"dst":"default","gateway":"203.0.113.1","dev":"eth0"}])";
  return sections;
}

}  // namespace

TEST_CASE("Debian 12 facts") {
  Sections sections = sample(
      "kernel 6.1.0-26-amd64\narch x86_64\nhostname web1\nboot bios\ninit systemd\npkg apt\n"
      "mem_kib 2013564\nuid 0\nsecrets_tmpfs no\n",
      "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian "
      "GNU/Linux\"\nVERSION_ID=\"12\"\n"
      "VERSION=\"12 (bookworm)\"\nID=debian\n");
  HostFacts facts;
  state::Host host;
  REQUIRE(parse_system(sections, host, facts).has_value());
  const SystemFacts& s = facts.system;
  CHECK(s.os_id == "debian");
  CHECK(s.os_version_id == "12");
  CHECK(s.os_pretty_name == "Debian GNU/Linux 12 (bookworm)");
  CHECK(s.kernel == "6.1.0-26-amd64");
  CHECK(s.architecture == "x86_64");
  CHECK(s.boot_mode == "bios");
  CHECK(s.init == "systemd");
  CHECK(s.package_manager == "apt");
  CHECK(s.memory_bytes == 2013564ull * 1024);
  CHECK(s.uid == 0);
  CHECK_FALSE(s.secrets_tmpfs);
  CHECK(s.block_devices["blockdevices"][0]["name"] == "vda");
  REQUIRE(s.mounts.size() == 3);
  CHECK(s.mounts[2].target == "/mnt/with space");
  CHECK(s.interfaces[0]["ifname"] == "eth0");
  CHECK(s.routes[0]["gateway"] == "203.0.113.1");
}

TEST_CASE("Ubuntu 24.04 facts") {
  Sections sections = sample(
      "kernel 6.8.0-45-generic\narch aarch64\nhostname db1\nboot uefi\ninit systemd\npkg apt\n"
      "mem_kib 4000000\nuid 0\nsecrets_tmpfs yes\n",
      "PRETTY_NAME=\"Ubuntu 24.04.1 "
      "LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\nID_LIKE=debian\n");
  HostFacts facts;
  state::Host host;
  REQUIRE(parse_system(sections, host, facts).has_value());
  CHECK(facts.system.os_id == "ubuntu");
  CHECK(facts.system.os_version_id == "24.04");
  CHECK(facts.system.architecture == "aarch64");
  CHECK(facts.system.boot_mode == "uefi");
  CHECK(facts.system.secrets_tmpfs);
}

TEST_CASE("Arch facts, without ip or lsblk JSON") {
  Sections sections = sample(
      "kernel 6.11.1-arch1-1\narch x86_64\nhostname arch\nboot uefi\ninit systemd\npkg pacman\n"
      "mem_kib 8000000\nuid 0\nsecrets_tmpfs no\n",
      "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n");
  sections["lsblk"].text = "";
  sections["ip-addr"].text = "not json";
  HostFacts facts;
  state::Host host;
  REQUIRE(parse_system(sections, host, facts).has_value());
  CHECK(facts.system.os_id == "arch");
  CHECK(facts.system.os_version_id.empty());
  CHECK(facts.system.package_manager == "pacman");
  CHECK(facts.system.block_devices.is_null());
  CHECK(facts.system.interfaces.is_null());
}

TEST_CASE("a system probe without kernel or uid is data loss") {
  Sections sections = sample("", "");
  HostFacts facts;
  state::Host host;
  CHECK_FALSE(parse_system(sections, host, facts).has_value());
}

TEST_CASE("/run/secrets is a tmpfs when the mount that holds it is one") {
  auto secrets_tmpfs = [](const std::string& mounts) {
    Sections sections = sample(
        "kernel 6.1.0\narch x86_64\nhostname h\nboot bios\ninit systemd\npkg apt\n"
        "mem_kib 1\nuid 0\nsecrets_dir yes\n",
        "ID=debian\n");
    sections["mounts"].text = mounts;
    HostFacts facts;
    state::Host host;
    REQUIRE(parse_system(sections, host, facts).has_value());
    return facts.system.secrets_tmpfs;
  };
  const std::string root = "/dev/vda2 / ext4 rw 0 0\n";
  CHECK_FALSE(secrets_tmpfs(root));
  CHECK(secrets_tmpfs(root + "tmpfs /run tmpfs rw 0 0\n"));
  CHECK(secrets_tmpfs(root + "tmpfs /run/secrets tmpfs rw 0 0\n"));
  CHECK_FALSE(secrets_tmpfs(root + "tmpfs /run tmpfs rw 0 0\n/dev/vdb /run/secrets ext4 rw 0 0\n"));
  // A sibling whose name starts the same is not a parent.
  CHECK_FALSE(secrets_tmpfs(root + "tmpfs /run/secretsx tmpfs rw 0 0\n"));
  CHECK_FALSE(secrets_tmpfs(root + "tmpfs /ru tmpfs rw 0 0\n"));
  // A later mount on /run hides the earlier one on /run/secrets.
  CHECK_FALSE(secrets_tmpfs(root + "tmpfs /run/secrets tmpfs rw 0 0\n/dev/vdc /run ext4 rw 0 0\n"));
  CHECK(
      secrets_tmpfs(root + "/dev/vdc /run/secrets ext4 rw 0 0\ntmpfs /run/secrets tmpfs rw 0 0\n"));
  // Without /run/secrets (no secrets_dir line) it is not a tmpfs, whatever /run is.
  Sections sections = sample(
      "kernel 6.1.0\narch x86_64\nhostname h\nboot bios\ninit systemd\npkg apt\n"
      "mem_kib 1\nuid 0\nsecrets_tmpfs no\n",
      "ID=debian\n");
  sections["mounts"].text = root + "tmpfs /run tmpfs rw 0 0\n";
  HostFacts facts;
  state::Host host;
  REQUIRE(parse_system(sections, host, facts).has_value());
  CHECK_FALSE(facts.system.secrets_tmpfs);
}
