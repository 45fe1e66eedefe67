#include "disk-layouts/layout.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace reconcile::disk {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<DiskLayout> parse(std::string_view yaml, Diagnostics& diagnostics) {
  Result<YamlNode> root = parse_yaml(yaml, "disk-layouts/t.yaml");
  REQUIRE(root.has_value());
  return parse_disk_layout(*root, "t", diagnostics);
}

// The first diagnostic, "file:line:col: message", for a layout that must fail.
std::string first_error(std::string_view yaml) {
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse(yaml, diagnostics);
  CHECK_FALSE(layout.has_value());
  REQUIRE_FALSE(diagnostics.empty());
  diagnostics.sort();
  return diagnostics.items().front().to_string();
}

TEST_CASE("every example layout in disk-layouts/ loads without a diagnostic") {
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts")) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    CAPTURE(entry.path().string());
    Result<YamlNode> root = parse_yaml(read_file(entry.path()), entry.path().string());
    REQUIRE(root.has_value());
    Diagnostics diagnostics;
    std::optional<DiskLayout> layout =
        parse_disk_layout(*root, entry.path().stem().string(), diagnostics);
    for (const Diagnostic& d : diagnostics.items())
      FAIL_CHECK(d.to_string());
    CHECK(layout.has_value());
  }
  CHECK(count >= 4);
}

TEST_CASE("the classic VPS layout parses into the model") {
  std::string yaml = read_file(std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts/vps-gpt.yaml");
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse(yaml, diagnostics);
  REQUIRE(layout.has_value());
  CHECK(layout->table == TableType::kGpt);
  REQUIRE(layout->partitions.size() == 3);
  CHECK(layout->partitions[0].type == PartitionType::kBiosBoot);
  CHECK(layout->partitions[0].size.bytes == kMiB);
  CHECK(layout->partitions[0].content.empty());
  CHECK(layout->partitions[1].type == PartitionType::kEsp);
  CHECK(layout->partitions[1].size.bytes == 512 * kMiB);
  REQUIRE(layout->partitions[1].content.filesystem.has_value());
  CHECK(layout->partitions[1].content.filesystem->type == FsType::kVfat);
  CHECK(layout->partitions[1].content.filesystem->mountpoint == "/boot/efi");
  CHECK(layout->partitions[1].content.filesystem->mount_options ==
        std::vector<std::string>{"umask=0077"});
  CHECK(layout->partitions[2].size.is_rest());
  CHECK(layout->partitions[2].name == "root");
  CHECK(layout->partitions[2].content.filesystem->label == "root");
  CHECK(layout->device_count() == 1);
}

TEST_CASE("stacked layouts: LVM, RAID1, LUKS and btrfs subvolumes") {
  auto load = [](const char* name) {
    std::string yaml =
        read_file(std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts/" + name + ".yaml");
    Diagnostics diagnostics;
    std::optional<DiskLayout> layout = parse(yaml, diagnostics);
    REQUIRE(layout.has_value());
    return *layout;
  };
  DiskLayout lvm = load("lvm");
  REQUIRE(lvm.volume_groups.size() == 1);
  CHECK(lvm.volume_groups[0].logical_volumes.size() == 3);
  CHECK(lvm.volume_groups[0].logical_volumes[0].size.kind == Size::Kind::kPercent);
  CHECK(lvm.volume_groups[0].logical_volumes[0].size.percent == 50);
  CHECK(lvm.volume_groups[0].logical_volumes[1].size.bytes == 512 * kMiB);
  CHECK(lvm.partitions[3].content.volume_group == "vg0");
  DiskLayout raid = load("raid1");
  CHECK(raid.device_count() == 2);
  CHECK(raid.raid_arrays[1].metadata == "1.2");
  DiskLayout encrypted = load("encrypted");
  REQUIRE(encrypted.partitions[2].content.luks.has_value());
  CHECK(encrypted.partitions[2].content.luks->key == "disk-key");
  CHECK(encrypted.partitions[2].content.luks->mapper == "cryptroot");
  DiskLayout btrfs = load("btrfs");
  REQUIRE(btrfs.partitions[1].content.filesystem->subvolumes.size() == 3);
  CHECK(btrfs.partitions[1].content.filesystem->subvolumes[1].name == "@home");
  CHECK(btrfs.partitions[1].content.filesystem->subvolumes[1].mountpoint == "/home");
}

TEST_CASE("a LUKS mapper name defaults to the partition name") {
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse(R"(table: gpt
partitions:
  - { name: data, size: rest, type: linux, luks: { key: k }, filesystem: { type: ext4 } }
)",
                                           diagnostics);
  REQUIRE(layout.has_value());
  CHECK(layout->partitions[0].content.luks->mapper == "data_crypt");
}

struct ErrorCase {
  const char* what;
  const char* yaml;
  const char* expected;  // the whole "file:line:col: message" prefix that must appear
};

const ErrorCase kErrorCases[] = {
    {"two rest",
     "table: gpt\npartitions:\n  - { size: rest, type: linux }\n  - { size: rest, type: swap, "
     "filesystem: { type: swap } }\n",
     "disk-layouts/t.yaml:4:5: only one entry of the partitions can take the 'rest'"},
    {"unknown partition type", "table: gpt\npartitions:\n  - { size: rest, type: linx }\n",
     "disk-layouts/t.yaml:3:25: unknown partition type 'linx'; did you mean 'linux'?"},
    {"ESP not vfat",
     "table: gpt\npartitions:\n  - size: 512MiB\n    type: esp\n    filesystem: { type: ext4 }\n",
     "disk-layouts/t.yaml:4:11: an esp partition must hold an unencrypted vfat filesystem"},
    {"unknown key with did-you-mean",
     "table: gpt\npartitions:\n  - size: rest\n    type: linux\n    filesystem: { type: ext4, "
     "mountpont: / }\n",
     "disk-layouts/t.yaml:5:31: unknown key 'mountpont' in the filesystem of partition 1; did you "
     "mean 'mountpoint'?"},
    {"decimal size unit", "table: gpt\npartitions:\n  - { size: 20G, type: linux }\n",
     "disk-layouts/t.yaml:3:13: size '20G' has no binary unit; did you mean '20GiB'?"},
    {"size not a whole MiB", "table: gpt\npartitions:\n  - { size: 1536KiB, type: linux }\n",
     "disk-layouts/t.yaml:3:13: size '1536KiB' is not a whole, non-zero number of MiB"},
    {"percentages over 100",
     "table: gpt\npartitions:\n  - { size: 60%, type: linux }\n  - { size: 50%, type: linux }\n",
     "disk-layouts/t.yaml:4:5: the percentages of the partitions add up to 110%"},
    {"100% leaves no room",
     "table: gpt\npartitions:\n  - { size: 100%, type: linux }\n  - { size: 1GiB, type: linux }\n",
     "disk-layouts/t.yaml:3:5: the percentages of the partitions take 100%, leaving no room"},
    {"unknown table", "table: gtp\npartitions:\n  - { size: rest, type: linux }\n",
     "disk-layouts/t.yaml:1:8: unknown partition table 'gtp'; did you mean 'gpt'?"},
    {"missing table", "partitions:\n  - { size: rest, type: linux }\n",
     "disk-layouts/t.yaml:1:1: disk layout 't' needs 'table'"},
    {"dangling volume group",
     "table: gpt\npartitions:\n  - { size: rest, type: lvm, volume_group: vg1 }\nvolume_groups:\n  "
     "vg0:\n    logical_volumes:\n      root: { size: 1GiB }\n",
     "disk-layouts/t.yaml:3:5: partition 1 refers to volume group 'vg1', which the layout does not "
     "declare; did you mean 'vg0'?"},
    {"duplicate mountpoint",
     "table: gpt\npartitions:\n  - { size: 1GiB, type: linux, filesystem: { type: ext4, "
     "mountpoint: /srv } }\n  - { size: rest, type: linux, filesystem: { type: xfs, mountpoint: "
     "/srv } }\n",
     "disk-layouts/t.yaml:4:44: mountpoint '/srv' is used twice"},
    {"too many msdos partitions",
     "table: msdos\npartitions:\n  - { size: 1GiB, type: linux }\n  - { size: 1GiB, type: linux "
     "}\n  - { size: 1GiB, type: linux }\n  - { size: 1GiB, type: linux }\n  - { size: 1GiB, type: "
     "linux }\n",
     "disk-layouts/t.yaml:7:5: msdos holds at most 4 (primary) partitions"},
    {"bios_boot on msdos", "table: msdos\npartitions:\n  - { size: 1MiB, type: bios_boot }\n",
     "disk-layouts/t.yaml:3:5: bios_boot is for gpt only"},
    {"vfat label too long",
     "table: gpt\npartitions:\n  - { size: 512MiB, type: esp, filesystem: { type: vfat, label: "
     "EFISYSTEMPART } }\n",
     "disk-layouts/t.yaml:3:65: label 'EFISYSTEMPART' is 13 bytes; vfat allows at most 11"},
    {"swap with a mountpoint",
     "table: gpt\npartitions:\n  - { size: 1GiB, type: swap, filesystem: { type: swap, mountpoint: "
     "/swap } }\n",
     "disk-layouts/t.yaml:3:69: swap has no mountpoint"},
    {"relative mountpoint",
     "table: gpt\npartitions:\n  - { size: rest, type: linux, filesystem: { type: ext4, "
     "mountpoint: srv } }\n",
     "disk-layouts/t.yaml:3:70: mountpoint must be an absolute path"},
    {"subvolumes on ext4",
     "table: gpt\npartitions:\n  - size: rest\n    type: linux\n    filesystem: { type: ext4, "
     "subvolumes: { \"@\": {} } }\n",
     "disk-layouts/t.yaml:5:43: only btrfs has subvolumes"},
    {"luks without a name",
     "table: gpt\npartitions:\n  - { size: rest, type: linux, luks: { key: k }, filesystem: { "
     "type: ext4 } }\n",
     "disk-layouts/t.yaml:3:38: luks needs a 'name'"},
    {"raid level 5",
     "table: gpt\npartitions:\n  - { size: rest, type: raid, raid_array: md0 }\nraid_arrays:\n  "
     "md0: { level: 5, filesystem: { type: ext4 } }\n",
     "disk-layouts/t.yaml:5:17: RAID level '5' is not supported"},
    {"not a map", "- just\n- a list\n", "disk-layouts/t.yaml:1:1: disk layout 't' must be a map"},
    {"partitions empty", "table: gpt\npartitions: []\n",
     "disk-layouts/t.yaml:2:13: 'partitions' must be a non-empty list"},
    {"mount option with a comma",
     "table: gpt\npartitions:\n  - { size: rest, type: linux, filesystem: { type: ext4, "
     "mount_options: [\"a,b\"] } }\n",
     "disk-layouts/t.yaml:3:73: mount option 'a,b' must be printable and contain no whitespace, "
     "','"},
};

TEST_CASE("validation errors point at file:line:col") {
  for (const ErrorCase& error : kErrorCases) {
    CAPTURE(error.what);
    std::string message = first_error(error.yaml);
    CHECK_MESSAGE(message.find(error.expected) == 0, message);
  }
}

TEST_CASE("all problems are reported in one pass") {
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse(R"(table: gpt
colour: blue
partitions:
  - { size: 20G, type: linux }
  - { size: rest, type: esp, filesystem: { type: ext4 } }
)",
                                           diagnostics);
  CHECK_FALSE(layout.has_value());
  CHECK(diagnostics.size() == 3);
}

}  // namespace
}  // namespace reconcile::disk
