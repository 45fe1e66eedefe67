#pragma once

// The declarative disk layout model: what disk-layouts/<name>.yaml describes
// after parsing and validation. Plain data, no behaviour; every value here has
// been checked (names, sizes, references, mountpoints), so the planner can
// trust it. The format is documented key by key in disk-layouts/README.md.
//
// A layout is a partition table with partitions in order. Each partition, and
// each thing built on partitions (a LUKS2 container, an LVM logical volume, an
// mdadm RAID1 array), holds a Content: a filesystem, or membership in a volume
// group or array, optionally inside LUKS2. Content is flat rather than
// recursive: "luks + filesystem" means the filesystem lives inside the LUKS
// container, which keeps the model copyable and the YAML shallow.

#include <optional>
#include <string>
#include <vector>

#include "disk-layouts/size.h"
#include "reconciler/base/diagnostics.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::disk {

enum class TableType { kGpt, kMsdos };
enum class PartitionType { kBiosBoot, kEsp, kLinux, kSwap, kLvm, kRaid };
enum class FsType { kExt4, kXfs, kBtrfs, kVfat, kSwap };

// The YAML spellings: "gpt", "esp", "ext4", ...
std::string_view table_type_name(TableType type);
std::string_view partition_type_name(PartitionType type);
std::string_view fs_type_name(FsType type);

struct Subvolume {
  std::string name;  // path inside the btrfs filesystem, e.g. "@home"
  std::optional<std::string> mountpoint;
  std::vector<std::string> mount_options;
  Location location;
};

struct Filesystem {
  FsType type = FsType::kExt4;
  std::optional<std::string> label;
  std::optional<std::string> mountpoint;   // absolute, normalised; never for swap
  std::vector<std::string> mount_options;  // fstab options; empty = "defaults"
  std::vector<std::string> mkfs_options;   // extra arguments, used at creation only
  std::vector<Subvolume> subvolumes;       // btrfs only
  Location location;
};

struct Luks {
  std::string key;     // name of the secret holding the passphrase
  std::string mapper;  // /dev/mapper/<mapper> once opened
  Location location;
};

// What a block device holds. At most one of filesystem, volume_group and
// raid_array is set; none means "left empty" (e.g. a BIOS boot partition).
struct Content {
  std::optional<Luks> luks;  // the rest lives inside this container
  std::optional<Filesystem> filesystem;
  std::optional<std::string> volume_group;  // an LVM physical volume of this group
  std::optional<std::string> raid_array;    // a member of this mdadm array

  bool empty() const { return !luks && !filesystem && !volume_group && !raid_array; }
};

struct Partition {
  int number = 0;                   // 1-based position in the table
  std::optional<std::string> name;  // GPT partition name (PARTLABEL)
  Size size;
  PartitionType type = PartitionType::kLinux;
  Content content;
  Location location;
};

struct LogicalVolume {
  std::string name;
  Size size;  // bytes, a percentage of the group, or the rest of the group
  Content content;
  Location location;
};

struct VolumeGroup {
  std::string name;
  std::vector<LogicalVolume> logical_volumes;  // in creation order
  Location location;
};

struct RaidArray {
  std::string name;              // /dev/md/<name>
  int level = 1;                 // only RAID1 for now
  std::string metadata = "1.2";  // mdadm superblock format: 1.0 or 1.2
  Content content;
  Location location;
};

struct DiskLayout {
  std::string name;
  Location location;
  std::optional<std::string> description;
  TableType table = TableType::kGpt;
  std::vector<Partition> partitions;
  std::vector<VolumeGroup> volume_groups;
  std::vector<RaidArray> raid_arrays;

  // How many devices a host must name: 2 when the layout declares a RAID1
  // array (every disk gets the same partitions), else 1.
  size_t device_count() const { return raid_arrays.empty() ? 1 : 2; }
};

// The LUKS containers of a layout (partitions, logical volumes and arrays),
// each with its key: the name of a secret in the repository's secrets/.
std::vector<const Luks*> luks_containers(const DiskLayout& layout);
// Where the secret holding a LUKS key lives in the repository.
inline std::string luks_key_source(const std::string& key) {
  return "secrets/" + key + ".age";
}

// Parses and validates disk-layouts/<name>.yaml. Problems are added to
// `diagnostics` with file:line:col (unknown keys with a did-you-mean, bad
// sizes, two `rest`, unknown types, an ESP that is not vfat, dangling volume
// group or array references, duplicate mountpoints, ...). Returns the layout
// only when it has no problem at all; otherwise nullopt, and every problem
// found is in `diagnostics` (the parser goes on after the first one).
std::optional<DiskLayout> parse_disk_layout(const YamlNode& root, const std::string& name,
                                            Diagnostics& diagnostics);

}  // namespace reconcile::disk
