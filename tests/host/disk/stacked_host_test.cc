// The stacked example layouts — LVM (lvm.yaml), RAID1 across two disks
// (raid1.yaml) and LUKS2 (encrypted.yaml) — applied for real to blank loop
// images: the first plan rebuilds the disks, lsblk then shows every layer
// the layout declares, and the second plan is empty.
//
// They need device-mapper and md in the kernel and lvm2, mdadm and
// cryptsetup installed. Where something is missing each case says what and
// passes without running, unless RECONCILE_DISK_REQUIRE_STACKED is set: the
// host_disk_vm test sets it and runs these cases in a QEMU guest with
// Debian's kernel (tests/host/disk/run_in_vm), for machines whose own kernel
// lacks device-mapper or md.
//
// Volume groups, arrays and LUKS mappings get names unique to this process,
// so a run on a real machine cannot meet that machine's own `vg0` or `root`
// array; the fixture tears them down, holders first, also on failure.

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "disk-layouts/geometry.h"
#include "reconciler/base/shell.h"
#include "tests/host/disk/local_shell.h"
#include "tests/host/disk/loop_disks.h"

namespace reconcile::disk {
namespace {

using testing::load_example;
using testing::LoopDisks;
using testing::must_apply;
using testing::must_plan;
using testing::run_local_shell;
using testing::sh;
using testing::ShellResult;

// Empty when the stacked layouts can be applied here, else why not.
std::string stacked_problem() {
  for (const char* tool : {"lvm", "mdadm", "cryptsetup", "dmsetup"}) {
    Result<ShellResult> found = run_local_shell(std::string("command -v ") + tool);
    if (!found || found->exit_code != 0) return std::string("no ") + tool;
  }
  Result<ShellResult> kernel = run_local_shell(
      "grep -qw device-mapper /proc/misc || exit 1\ngrep -qw md /proc/devices || exit 2");
  if (!kernel || kernel->exit_code == 1) return "the kernel has no device-mapper";
  if (kernel->exit_code != 0) return "the kernel has no md (mdadm arrays)";
  return "";
}

// True when the case should run; otherwise says why not, and fails when
// RECONCILE_DISK_REQUIRE_STACKED demands that it runs.
bool stacked_available() {
  static const std::string problem = stacked_problem();
  if (problem.empty()) return true;
  if (std::getenv("RECONCILE_DISK_REQUIRE_STACKED") != nullptr) {
    FAIL("stacked layouts cannot be applied here: " << problem);
  }
  MESSAGE("not run: " << problem << " (the host_disk_vm test runs this case in a VM)");
  return false;
}

void rename_content(Content& content, const std::string& prefix) {
  if (content.luks) content.luks->mapper = prefix + content.luks->mapper;
  if (content.volume_group) content.volume_group = prefix + *content.volume_group;
  if (content.raid_array) content.raid_array = prefix + *content.raid_array;
}

// Prefixes every volume group, array and LUKS mapping name.
void make_names_unique(DiskLayout& layout) {
  std::string prefix = "rt" + std::to_string(getpid() % 100000) + "_";
  for (Partition& partition : layout.partitions)
    rename_content(partition.content, prefix);
  for (VolumeGroup& group : layout.volume_groups) {
    group.name = prefix + group.name;
    for (LogicalVolume& volume : group.logical_volumes)
      rename_content(volume.content, prefix);
  }
  for (RaidArray& array : layout.raid_arrays) {
    array.name = prefix + array.name;
    rename_content(array.content, prefix);
  }
}

std::string signature_of(const Content& content) {
  if (content.luks) return "crypto_LUKS";
  if (content.volume_group) return "LVM2_member";
  if (content.raid_array) return "linux_raid_member";
  return content.filesystem ? std::string(fs_type_name(content.filesystem->type)) : "";
}

// The lines "PATH TYPE FSTYPE LABEL" (lsblk's tree, blkid's signatures)
// that `content` on `path` (of lsblk type `type`) should produce, with what
// is stacked on it.
void expect_content(const DiskLayout& layout, const Content& content, const std::string& path,
                    const std::string& type, std::vector<std::string>& out) {
  std::string label = content.filesystem && content.filesystem->label && !content.luks
                          ? *content.filesystem->label
                          : "";
  out.push_back(path + " " + type + " " + signature_of(content) + " " + label);
  if (content.luks) {
    Content inner = content;
    inner.luks.reset();
    expect_content(layout, inner, "/dev/mapper/" + content.luks->mapper, "crypt", out);
    return;
  }
  for (const VolumeGroup& group : layout.volume_groups) {
    if (!content.volume_group || group.name != *content.volume_group) continue;
    for (const LogicalVolume& volume : group.logical_volumes) {
      expect_content(layout, volume.content, "/dev/mapper/" + group.name + "-" + volume.name, "lvm",
                     out);
    }
  }
  for (const RaidArray& array : layout.raid_arrays) {
    if (!content.raid_array || array.name != *content.raid_array) continue;
    std::string md = sh("readlink -f " + shell_quote("/dev/md/" + array.name));
    expect_content(layout, array.content, md.substr(0, md.find('\n')), "raid1", out);
  }
}

void apply_stacked(const std::string& name, const std::string& expected_root_type) {
  CAPTURE(name);
  if (!stacked_available()) return;
  DiskLayout layout = load_example(name);
  make_names_unique(layout);
  LoopDisks disks(static_cast<int>(layout.device_count()));
  std::map<std::string, std::string> secrets = {
      {"disk-key", "test passphrase " + std::to_string(getpid())}};

  DiskPlan first = must_plan(layout, disks.target());
  REQUIRE(first.has_destructive());
  must_apply(first, secrets);
  DiskPlan second = must_plan(layout, disks.target());
  CHECK_MESSAGE(second.empty(), format_plan(second));

  // lsblk draws the tree; its FSTYPE and LABEL columns come from udev's
  // database, which a machine without udev lacks, so blkid reads those.
  std::string listing;
  for (const std::string& device : disks.devices()) {
    listing += sh("lsblk -n -r -p -o PATH,TYPE " + shell_quote(device) +
                  " | while read -r path type; do\n"
                  "  printf '%s %s %s %s\\n' \"$path\" \"$type\" "
                  "\"$(blkid -p -s TYPE -o value \"$path\" || true)\" "
                  "\"$(blkid -p -s LABEL -o value \"$path\" || true)\"\n"
                  "done");
  }
  std::set<std::string> lines;
  std::istringstream stream(listing);
  for (std::string line; std::getline(stream, line);)
    lines.insert(line);
  std::vector<std::string> expected;
  for (const std::string& device : disks.devices()) {
    for (const Partition& partition : layout.partitions) {
      std::string path = device + "p" + std::to_string(partition.number);
      expect_content(layout, partition.content, path, "part", expected);
    }
  }
  for (const std::string& line : expected) {
    // A line without a label matches any label: a RAID member's is the
    // array's name as mdadm stored it ("host:name").
    bool found =
        line.back() == ' '
            ? std::any_of(lines.begin(), lines.end(),
                          [&](const std::string& have) { return have.rfind(line, 0) == 0; })
            : lines.count(line) == 1;
    CHECK_MESSAGE(found, "lsblk does not show '" << line << "':\n" << listing);
  }

  for (const Partition& partition : layout.partitions) {
    if (!partition.content.luks) continue;
    // The container opens with the secret's bytes, and no copy of the key
    // is left behind in memory-backed files either.
    std::string node = disks.device() + "p" + std::to_string(partition.number);
    Result<ShellResult> test =
        run_local_shell("cryptsetup open --test-passphrase --key-file=- " + shell_quote(node),
                        secrets.at(partition.content.luks->key));
    REQUIRE(test.has_value());
    CHECK_MESSAGE(test->exit_code == 0, test->err);
    CHECK(sh("ls /dev/shm /run | grep -c reconcile-key || true") == "0\n");
  }

  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4ull << 30, 512);
  REQUIRE(geometry.has_value());
  std::string sizes, want_sizes;
  for (const std::string& device : disks.devices()) {
    for (const Partition& partition : layout.partitions) {
      std::string node =
          device.substr(device.rfind('/') + 1) + "p" + std::to_string(partition.number);
      sizes += sh("echo $(( $(cat /sys/class/block/" + node + "/size) * 512 ))");
    }
    for (const PartitionGeometry& part : *geometry)
      want_sizes += std::to_string(part.size) + "\n";
  }
  CHECK(sizes == want_sizes);
  CHECK(sh("findmnt -n -o FSTYPE " + shell_quote(disks.root())) == expected_root_type + "\n");
  std::string fstab = sh("cat " + shell_quote(disks.root() + "/etc/fstab"));
  CHECK(fstab.find("UUID=") == 0);
}

TEST_CASE("stacked layouts apply to blank images, and then plan empty") {
  SUBCASE("lvm") {
    apply_stacked("lvm", "ext4");
  }
  SUBCASE("raid1 across two disks") {
    apply_stacked("raid1", "ext4");
  }
  SUBCASE("encrypted, the LUKS2 key on stdin") {
    apply_stacked("encrypted", "xfs");
  }
}

}  // namespace
}  // namespace reconcile::disk
