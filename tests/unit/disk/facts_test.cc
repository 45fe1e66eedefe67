#include "disk-layouts/facts.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "disk-layouts/facts_text.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {
namespace {

std::string canned(const std::string& name) {
  std::ifstream in(std::string(RECONCILE_SOURCE_DIR) + "/tests/data/disk/" + name,
                   std::ios::binary);
  REQUIRE_MESSAGE(in.good(), name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("facts of a disk with the VPS layout applied and its root mounted") {
  Result<DiskFacts> facts = parse_disk_facts(canned("probe-vps-mounted.txt"));
  REQUIRE_MESSAGE(facts.has_value(), facts.error().message());
  REQUIRE(facts->devices.size() == 1);
  const DeviceFacts& device = facts->devices[0];
  CHECK(device.device == "/dev/loop0");
  CHECK(device.exists);
  CHECK(device.size == 4ull << 30);
  CHECK(device.sector_size == 512);
  CHECK(device.table == "gpt");
  REQUIRE(device.partitions.size() == 3);
  CHECK(device.partitions[0].number == 1);
  CHECK(device.partitions[0].start == 1 << 20);
  CHECK(device.partitions[0].size == 1 << 20);
  CHECK(device.partitions[0].type == "21686148-6449-6E6F-744E-656564454649");
  CHECK(device.partitions[0].name == "bios");
  CHECK(device.partitions[2].node == "/dev/loop0p3");
  CHECK(device.partitions[2].start == 514ull << 20);
  CHECK(device.partitions[2].size == 3581ull << 20);
  REQUIRE(device.nodes.size() == 4);
  CHECK(device.nodes[0].kind == "loop");
  CHECK(device.nodes[0].signature.pttype == "gpt");
  CHECK(device.nodes[0].children.size() == 3);
  const BlockNode* esp = device.find_node("/dev/loop0p2");
  REQUIRE(esp != nullptr);
  CHECK(esp->kind == "part");
  CHECK(esp->parent == "/dev/loop0");
  CHECK(esp->signature.type == "vfat");
  CHECK(esp->signature.label == "EFI");
  const BlockNode* root = device.find_node("/dev/loop0p3");
  REQUIRE(root != nullptr);
  CHECK(root->maj_min == "259:2");
  CHECK(root->signature.type == "ext4");
  CHECK(root->signature.uuid == "96e18e20-ad41-44f1-8bbf-218f041cf8ce");
  CHECK(device.find_node("/dev/loop0p1")->signature.empty());
  const MountEntry* mount = facts->mount_at("/tmp/dt/root");
  REQUIRE(mount != nullptr);
  CHECK(mount->maj_min == "259:2");
  CHECK(mount->source == "/dev/loop0p3");
  CHECK(mount->fstype == "ext4");
  CHECK(facts->fstab_exists);
  REQUIRE(facts->fstab.size() == 1);
  CHECK(facts->fstab[0].spec == "UUID=96e18e20-ad41-44f1-8bbf-218f041cf8ce");
  CHECK(facts->fstab[0].file == "/");
  CHECK(facts->fstab[0].passno == "1");
}

TEST_CASE("facts of a blank disk and of a missing one") {
  Result<DiskFacts> blank = parse_disk_facts(canned("probe-blank.txt"));
  REQUIRE(blank.has_value());
  CHECK(blank->devices[0].table.empty());
  CHECK(blank->devices[0].partitions.empty());
  CHECK(blank->devices[0].nodes.size() == 1);
  CHECK(blank->devices[0].nodes[0].signature.empty());
  CHECK(blank->devices[0].nodes[0].blkid_status == 2);
  CHECK_FALSE(blank->fstab_exists);
  Result<DiskFacts> missing = parse_disk_facts(canned("probe-missing.txt"));
  REQUIRE(missing.has_value());
  CHECK(missing->devices[0].device == "/dev/nonexistent");
  CHECK_FALSE(missing->devices[0].exists);
}

TEST_CASE("mountinfo, swaps and fstab text, with octal escapes") {
  std::vector<MountEntry> mounts;
  REQUIRE(parse_mountinfo({"36 35 98:0 /@home /mnt/my\\040disk rw,noatime master:1 - btrfs "
                           "/dev/sda2 rw,subvol=/@home"},
                          mounts)
              .has_value());
  CHECK(mounts[0].target == "/mnt/my disk");
  CHECK(mounts[0].root == "/@home");
  CHECK(mounts[0].fstype == "btrfs");
  CHECK(mounts[0].source == "/dev/sda2");
  CHECK_FALSE(parse_mountinfo({"36 35 98:0 / /mnt rw"}, mounts).has_value());
  std::vector<std::string> swaps;
  REQUIRE(parse_swaps({"Filename Type Size Used Priority", "/dev/sda2  partition 1 0 -2"}, swaps)
              .has_value());
  CHECK(swaps == std::vector<std::string>{"/dev/sda2"});
  std::vector<FstabEntry> fstab;
  REQUIRE(
      parse_fstab(
          {"# comment", "", "UUID=1 / ext4 defaults 0 1", "/dev/sdb1\t/srv xfs", "bad line"}, fstab)
          .has_value());
  REQUIRE(fstab.size() == 2);
  CHECK(fstab[0].line == 3);
  CHECK(fstab[1].options == "defaults");
  CHECK(fstab[1].passno == "0");
  CHECK(unescape_blkid("my\\ label") == "my label");
  CHECK(reconcile::unescape_octal("a\\134b\\") == "a\\b\\");
}

TEST_CASE("a cut or forged probe output is an error, not a guess") {
  std::string good = canned("probe-vps-mounted.txt");
  std::string cut = good.substr(0, good.size() / 2);
  Result<DiskFacts> truncated = parse_disk_facts(cut);
  REQUIRE_FALSE(truncated.has_value());
  CHECK(truncated.error().message().find("cut short") != std::string::npos);
  CHECK_FALSE(parse_disk_facts("").has_value());
  CHECK_FALSE(parse_disk_facts("@@disk begin 1\nstray line\n@@disk end\n").has_value());
  CHECK_FALSE(parse_disk_facts("@@disk begin 1\n@@disk device\n|/dev/sda\n@@disk lsblk 0\n"
                               "|{not json\n@@disk end\n")
                  .has_value());
  CHECK_FALSE(parse_disk_facts("@@disk begin 1\n@@disk lsblk 0\n|{}\n@@disk end\n").has_value());
  CHECK_FALSE(parse_disk_facts("@@disk begin 1\n@@disk device\n|/dev/sda\n@@disk sfdisk 0\n"
                               "|{\"partitiontable\":{\"partitions\":[{\"node\":\"x\"}]}}\n"
                               "@@disk end\n")
                  .has_value());
  // A fstab line that looks like a marker stays payload: the probe prefixes it.
  Result<DiskFacts> forged = parse_disk_facts(
      "@@disk begin 1\n@@disk fstab 1\n|@@disk device\n|UUID=1 / ext4 defaults 0 1\n"
      "@@disk end\n");
  REQUIRE(forged.has_value());
  CHECK(forged->devices.empty());
}

TEST_CASE("mangled probe output never crashes the parser") {
  std::string good = canned("probe-vps-mounted.txt");
  // Deterministic mutations: truncate at, drop, and replace bytes throughout.
  for (size_t at = 0; at < good.size(); at += 37) {
    std::string dropped = good;
    dropped.erase(at, 1);
    (void)parse_disk_facts(dropped);
    std::string replaced = good;
    replaced[at] = static_cast<char>("{}[]\"|@\n0x"[at % 10]);
    (void)parse_disk_facts(replaced);
  }
  CHECK(parse_disk_facts(good).has_value());
}

TEST_CASE("the probe quotes the devices and the fstab path it is given") {
  std::string script = disk_probe_script({"/dev/sda", "/dev/x'$(reboot)"}, "/mnt/a b");
  CHECK(script.find("rd_device '/dev/sda'\n") != std::string::npos);
  CHECK(script.find("rd_device '/dev/x'\\''$(reboot)'\n") != std::string::npos);
  CHECK(script.find("'/mnt/a b/etc/fstab'") != std::string::npos);
  CHECK(under_root("/", "/boot") == "/boot");
  CHECK(under_root("/mnt/", "/") == "/mnt");
  CHECK(under_root("/mnt", "/boot/efi") == "/mnt/boot/efi");
}

}  // namespace
}  // namespace reconcile::disk
