// Parses disk-layouts/<name>.yaml into a DiskLayout. The parser never stops
// at the first problem: it records each one in Diagnostics (with the
// file:line:col of the node at fault) and carries on, so an operator sees
// every mistake in one run. Content parsing (filesystems, LUKS, LVM and RAID
// membership) is in layout_content.cc, the checks that need the whole layout
// (references, duplicate mountpoints, sizes that cannot fit) in
// layout_validate.cc.

#include "disk-layouts/layout.h"

#include "disk-layouts/layout_internal.h"
#include "disk-layouts/names.h"
#include "disk-layouts/yaml_reader.h"

namespace reconcile::disk {

std::string_view table_type_name(TableType type) {
  return type == TableType::kGpt ? "gpt" : "msdos";
}

std::string_view partition_type_name(PartitionType type) {
  switch (type) {
    case PartitionType::kBiosBoot:
      return "bios_boot";
    case PartitionType::kEsp:
      return "esp";
    case PartitionType::kLinux:
      return "linux";
    case PartitionType::kSwap:
      return "swap";
    case PartitionType::kLvm:
      return "lvm";
    case PartitionType::kRaid:
      return "raid";
  }
  return "?";
}

std::string_view fs_type_name(FsType type) {
  switch (type) {
    case FsType::kExt4:
      return "ext4";
    case FsType::kXfs:
      return "xfs";
    case FsType::kBtrfs:
      return "btrfs";
    case FsType::kVfat:
      return "vfat";
    case FsType::kSwap:
      return "swap";
  }
  return "?";
}

namespace {

const std::vector<std::string> kTopKeys = {"description", "table", "partitions", "volume_groups",
                                           "raid_arrays"};
const std::vector<std::string> kPartitionKeys = {"name",       "size",         "type",      "luks",
                                                 "filesystem", "volume_group", "raid_array"};

std::optional<PartitionType> parse_partition_type(const MapReader& map) {
  std::optional<std::string> text = map.required_scalar("type");
  if (!text) return std::nullopt;
  for (PartitionType type : {PartitionType::kBiosBoot, PartitionType::kEsp, PartitionType::kLinux,
                             PartitionType::kSwap, PartitionType::kLvm, PartitionType::kRaid}) {
    if (*text == partition_type_name(type)) return type;
  }
  map.error(map.find("type")->location(),
            unknown_value_message("partition type", *text,
                                  {"bios_boot", "esp", "linux", "swap", "lvm", "raid"}));
  return std::nullopt;
}

std::optional<Partition> parse_partition(const YamlNode& node, int number,
                                         Diagnostics& diagnostics) {
  MapReader map(node, "partition " + std::to_string(number), kPartitionKeys, diagnostics);
  if (!map.is_map()) return std::nullopt;
  size_t errors_before = diagnostics.size();
  Partition partition;
  partition.number = number;
  partition.location = node.location();
  if (std::optional<std::string> name = map.scalar("name")) {
    std::string problem = check_partition_name(*name);
    if (!problem.empty()) map.error(map.find("name")->location(), "partition name " + problem);
    partition.name = *name;
  }
  if (std::optional<Size> size = parse_size_field(map, "size", /*required=*/true)) {
    partition.size = *size;
  }
  std::optional<PartitionType> type = parse_partition_type(map);
  if (type) partition.type = *type;
  ContentContext context{ContentOwner::kPartition, map.what(),
                         partition.name ? *partition.name + "_crypt" : ""};
  partition.content = parse_content(map, context, diagnostics);
  if (type) check_partition_content(partition, map, diagnostics);
  if (diagnostics.size() != errors_before) return std::nullopt;
  return partition;
}

std::optional<TableType> parse_table(const MapReader& map) {
  std::optional<std::string> text = map.required_scalar("table");
  if (!text) return std::nullopt;
  if (*text == "gpt") return TableType::kGpt;
  if (*text == "msdos") return TableType::kMsdos;
  map.error(map.find("table")->location(),
            unknown_value_message("partition table", *text, {"gpt", "msdos"}));
  return std::nullopt;
}

void parse_partitions(const MapReader& map, DiskLayout& layout, Diagnostics& diagnostics) {
  const YamlNode* list = map.find("partitions");
  if (!list) {
    map.error(map.node().location(), "a disk layout needs 'partitions'");
    return;
  }
  if (!list->is_sequence() || list->items().empty()) {
    map.error(list->location(), "'partitions' must be a non-empty list");
    return;
  }
  int number = 0;
  for (const YamlNode& item : list->items()) {
    ++number;
    if (std::optional<Partition> partition = parse_partition(item, number, diagnostics)) {
      layout.partitions.push_back(std::move(*partition));
    }
  }
}

}  // namespace

std::optional<DiskLayout> parse_disk_layout(const YamlNode& root, const std::string& name,
                                            Diagnostics& diagnostics) {
  size_t errors_before = diagnostics.size();
  MapReader map(root, "disk layout '" + name + "'", kTopKeys, diagnostics);
  if (!map.is_map()) return std::nullopt;
  DiskLayout layout;
  layout.name = name;
  layout.location = root.location();
  layout.description = map.scalar("description");
  if (std::optional<TableType> table = parse_table(map)) layout.table = *table;
  parse_partitions(map, layout, diagnostics);
  parse_volume_groups(map, layout, diagnostics);
  parse_raid_arrays(map, layout, diagnostics);
  if (diagnostics.size() != errors_before) return std::nullopt;
  validate_layout(layout, diagnostics);
  if (diagnostics.size() != errors_before) return std::nullopt;
  return layout;
}

std::vector<const Luks*> luks_containers(const DiskLayout& layout) {
  std::vector<const Luks*> containers;
  auto add = [&](const Content& content) {
    if (content.luks) containers.push_back(&*content.luks);
  };
  for (const auto& partition : layout.partitions)
    add(partition.content);
  for (const auto& group : layout.volume_groups)
    for (const auto& volume : group.logical_volumes)
      add(volume.content);
  for (const auto& array : layout.raid_arrays)
    add(array.content);
  return containers;
}

}  // namespace reconcile::disk
