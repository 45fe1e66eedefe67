// Parsing of what a partition, logical volume or RAID array holds: a
// filesystem (with btrfs subvolumes), LUKS2, or membership in an LVM volume
// group or an mdadm array.

#include "disk-layouts/layout_internal.h"
#include "disk-layouts/names.h"

namespace reconcile::disk {

namespace {

const std::vector<std::string> kFilesystemKeys = {"type",          "label",        "mountpoint",
                                                  "mount_options", "mkfs_options", "subvolumes"};
const std::vector<std::string> kSubvolumeKeys = {"mountpoint", "mount_options"};
const std::vector<std::string> kLuksKeys = {"key", "name"};

std::optional<FsType> parse_fs_type(const MapReader& map) {
  std::optional<std::string> text = map.required_scalar("type");
  if (!text) return std::nullopt;
  for (FsType type : {FsType::kExt4, FsType::kXfs, FsType::kBtrfs, FsType::kVfat, FsType::kSwap}) {
    if (*text == fs_type_name(type)) return type;
  }
  map.error(
      map.find("type")->location(),
      unknown_value_message("filesystem type", *text, {"ext4", "xfs", "btrfs", "vfat", "swap"}));
  return std::nullopt;
}

std::optional<std::string> parse_mountpoint(const MapReader& map) {
  std::optional<std::string> path = map.scalar("mountpoint");
  if (!path) return std::nullopt;
  std::string problem = check_mountpoint(*path);
  if (!problem.empty()) map.error(map.find("mountpoint")->location(), "mountpoint " + problem);
  return path;
}

std::vector<std::string> parse_mount_options(const MapReader& map) {
  std::vector<std::string> options =
      map.scalar_list("mount_options").value_or(std::vector<std::string>{});
  for (const std::string& option : options) {
    std::string problem = check_mount_option(option);
    if (!problem.empty()) {
      map.error(map.find("mount_options")->location(), "mount option '" + option + "' " + problem);
    }
  }
  return options;
}

void parse_subvolumes(const MapReader& map, Filesystem& filesystem, Diagnostics& diagnostics) {
  const YamlNode* node = map.find("subvolumes");
  if (!node) return;
  if (!node->is_map()) {
    map.error(node->location(), "'subvolumes' must be a map of subvolume name to settings");
    return;
  }
  if (filesystem.type != FsType::kBtrfs) {
    map.error(node->location(), "only btrfs has subvolumes");
  }
  for (const auto& [key, value] : node->entries()) {
    Subvolume subvolume;
    subvolume.name = key.text();
    subvolume.location = key.location();
    std::string problem = check_subvolume_name(subvolume.name);
    if (!problem.empty()) map.error(key.location(), "subvolume name " + problem);
    if (!value.is_null()) {
      MapReader settings(value, "subvolume '" + subvolume.name + "'", kSubvolumeKeys, diagnostics);
      if (settings.is_map()) {
        subvolume.mountpoint = parse_mountpoint(settings);
        subvolume.mount_options = parse_mount_options(settings);
      }
    }
    filesystem.subvolumes.push_back(std::move(subvolume));
  }
}

std::optional<Filesystem> parse_filesystem(const YamlNode& node, const ContentContext& context,
                                           Diagnostics& diagnostics) {
  MapReader map(node, "the filesystem of " + context.what, kFilesystemKeys, diagnostics);
  if (!map.is_map()) return std::nullopt;
  Filesystem filesystem;
  filesystem.location = node.location();
  std::optional<FsType> type = parse_fs_type(map);
  if (type) filesystem.type = *type;
  if (std::optional<std::string> label = map.scalar("label")) {
    std::string problem = type ? check_label(*type, *label) : "";
    if (!problem.empty())
      map.error(map.find("label")->location(), "label '" + *label + "' " + problem);
    filesystem.label = *label;
  }
  filesystem.mountpoint = parse_mountpoint(map);
  filesystem.mount_options = parse_mount_options(map);
  filesystem.mkfs_options = map.scalar_list("mkfs_options").value_or(std::vector<std::string>{});
  parse_subvolumes(map, filesystem, diagnostics);
  if (filesystem.type == FsType::kSwap && filesystem.mountpoint) {
    map.error(map.find("mountpoint")->location(),
              "swap has no mountpoint (it is listed in /etc/fstab as 'none')");
  }
  if (!type) return std::nullopt;
  return filesystem;
}

std::optional<Luks> parse_luks(const YamlNode& node, const ContentContext& context,
                               Diagnostics& diagnostics) {
  MapReader map(node, "the luks settings of " + context.what, kLuksKeys, diagnostics);
  if (!map.is_map()) return std::nullopt;
  Luks luks;
  luks.location = node.location();
  if (std::optional<std::string> key = map.required_scalar("key")) {
    std::string problem = check_simple_name(*key);
    if (!problem.empty()) map.error(map.find("key")->location(), "secret name " + problem);
    luks.key = *key;
  }
  luks.mapper = map.scalar("name").value_or(context.default_mapper);
  if (luks.mapper.empty()) {
    map.error(node.location(), "luks needs a 'name' (the /dev/mapper name) when " + context.what +
                                   " has no name to derive it from");
  } else {
    std::string problem = check_simple_name(luks.mapper);
    if (!problem.empty())
      map.error(node.location(), "luks mapper name '" + luks.mapper + "' " + problem);
  }
  return luks;
}

std::optional<std::string> parse_reference(const MapReader& map, std::string_view key) {
  std::optional<std::string> name = map.scalar(key);
  if (!name) return std::nullopt;
  std::string problem = check_simple_name(*name);
  if (!problem.empty()) {
    map.error(map.find(key)->location(), std::string(key) + " name '" + *name + "' " + problem);
  }
  return name;
}

}  // namespace

std::optional<Size> parse_size_field(const MapReader& map, std::string_view key, bool required) {
  std::optional<std::string> text = required ? map.required_scalar(key) : map.scalar(key);
  if (!text) return std::nullopt;
  std::string error;
  std::optional<Size> size = parse_size(*text, error);
  if (!size) map.error(map.find(key)->location(), "size '" + *text + "' " + error);
  return size;
}

Content parse_content(const MapReader& map, const ContentContext& context,
                      Diagnostics& diagnostics) {
  Content content;
  if (const YamlNode* node = map.find("filesystem")) {
    content.filesystem = parse_filesystem(*node, context, diagnostics);
  }
  if (const YamlNode* node = map.find("luks"))
    content.luks = parse_luks(*node, context, diagnostics);
  content.volume_group = parse_reference(map, "volume_group");
  content.raid_array = parse_reference(map, "raid_array");
  int held = (map.find("filesystem") ? 1 : 0) + (map.find("volume_group") ? 1 : 0) +
             (map.find("raid_array") ? 1 : 0);
  if (held > 1) {
    map.error(map.node().location(), context.what +
                                         " can hold only one of filesystem, volume_group and "
                                         "raid_array");
  }
  if (map.find("luks") && map.find("raid_array")) {
    map.error(map.find("luks")->location(),
              "a RAID member cannot be encrypted on its own; put 'luks' on the raid array");
  } else if (map.find("luks") && held == 0) {
    map.error(map.find("luks")->location(),
              "luks needs something inside: a filesystem or a volume_group");
  }
  return content;
}

void check_partition_content(const Partition& partition, const MapReader& map,
                             Diagnostics& diagnostics) {
  const Content& content = partition.content;
  const Location& at = map.find("type")->location();
  auto fs_is = [&](FsType type) { return content.filesystem && content.filesystem->type == type; };
  switch (partition.type) {
    case PartitionType::kBiosBoot:
      if (!content.empty())
        diagnostics.error(at,
                          "a bios_boot partition holds nothing (GRUB writes its core image there)");
      break;
    case PartitionType::kEsp:
      if (content.luks || !fs_is(FsType::kVfat)) {
        diagnostics.error(
            at,
            "an esp partition must hold an unencrypted vfat filesystem (the firmware reads it)");
      }
      break;
    case PartitionType::kSwap:
      if (!fs_is(FsType::kSwap))
        diagnostics.error(at, "a swap partition must hold a swap filesystem");
      break;
    case PartitionType::kLinux:
      if (fs_is(FsType::kSwap)) diagnostics.error(at, "swap belongs on a partition of type swap");
      if (fs_is(FsType::kVfat))
        diagnostics.error(at, "a vfat filesystem here looks like an ESP; use type esp");
      if (content.volume_group) diagnostics.error(at, "a volume group member needs type lvm");
      if (content.raid_array) diagnostics.error(at, "a raid member needs type raid");
      break;
    case PartitionType::kLvm:
      if (!content.volume_group) diagnostics.error(at, "an lvm partition needs 'volume_group'");
      break;
    case PartitionType::kRaid:
      if (!content.raid_array) diagnostics.error(at, "a raid partition needs 'raid_array'");
      break;
  }
}

}  // namespace reconcile::disk
