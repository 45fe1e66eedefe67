// Parsing of the layers built on partitions: LVM volume groups with their
// logical volumes, and mdadm RAID1 arrays.

#include "disk-layouts/layout_internal.h"
#include "disk-layouts/names.h"

namespace reconcile::disk {

namespace {

const std::vector<std::string> kGroupKeys = {"logical_volumes"};
const std::vector<std::string> kVolumeKeys = {"size", "luks", "filesystem"};
const std::vector<std::string> kArrayKeys = {"level", "metadata", "luks", "filesystem",
                                             "volume_group"};

// Calls `each(key, value)` for the entries of the map at `key`, or reports
// that it is not a map.
template <typename Each>
void for_each_entry(const MapReader& map, std::string_view key, Each each) {
  const YamlNode* node = map.find(key);
  if (!node) return;
  if (!node->is_map() || node->entries().empty()) {
    map.error(node->location(),
              "'" + std::string(key) + "' must be a non-empty map of name to settings");
    return;
  }
  for (const auto& [name, value] : node->entries())
    each(name, value);
}

void check_name(const MapReader& map, const YamlNode& name, std::string_view what) {
  std::string problem = check_simple_name(name.text());
  if (!problem.empty()) {
    map.error(name.location(), std::string(what) + " name '" + name.text() + "' " + problem);
  }
}

LogicalVolume parse_logical_volume(const YamlNode& name, const YamlNode& value,
                                   const std::string& group, Diagnostics& diagnostics) {
  LogicalVolume volume;
  volume.name = name.text();
  volume.location = name.location();
  std::string what = "logical volume '" + group + "/" + volume.name + "'";
  MapReader map(value, what, kVolumeKeys, diagnostics);
  check_name(map, name, "logical volume");
  if (!map.is_map()) return volume;
  if (std::optional<Size> size = parse_size_field(map, "size", /*required=*/true)) {
    volume.size = *size;
  }
  ContentContext context{ContentOwner::kLogicalVolume, what, group + "-" + volume.name + "_crypt"};
  volume.content = parse_content(map, context, diagnostics);
  return volume;
}

void parse_metadata(const MapReader& map, RaidArray& array) {
  std::optional<std::string> metadata = map.scalar("metadata");
  if (!metadata) return;
  if (*metadata != "1.0" && *metadata != "1.2") {
    map.error(map.find("metadata")->location(),
              unknown_value_message("RAID metadata version", *metadata, {"1.0", "1.2"}));
  }
  array.metadata = *metadata;
}

}  // namespace

void parse_volume_groups(const MapReader& top, DiskLayout& layout, Diagnostics& diagnostics) {
  for_each_entry(top, "volume_groups", [&](const YamlNode& name, const YamlNode& value) {
    VolumeGroup group;
    group.name = name.text();
    group.location = name.location();
    MapReader map(value, "volume group '" + group.name + "'", kGroupKeys, diagnostics);
    check_name(map, name, "volume group");
    if (map.is_map() && !map.find("logical_volumes")) {
      map.error(value.location(), map.what() + " needs 'logical_volumes'");
    }
    if (map.is_map()) {
      for_each_entry(map, "logical_volumes", [&](const YamlNode& lv_name, const YamlNode& lv) {
        group.logical_volumes.push_back(parse_logical_volume(lv_name, lv, group.name, diagnostics));
      });
    }
    layout.volume_groups.push_back(std::move(group));
  });
}

void parse_raid_arrays(const MapReader& top, DiskLayout& layout, Diagnostics& diagnostics) {
  for_each_entry(top, "raid_arrays", [&](const YamlNode& name, const YamlNode& value) {
    RaidArray array;
    array.name = name.text();
    array.location = name.location();
    std::string what = "raid array '" + array.name + "'";
    MapReader map(value, what, kArrayKeys, diagnostics);
    check_name(map, name, "raid array");
    if (!map.is_map()) return;
    if (std::optional<std::string> level = map.scalar("level")) {
      if (*level != "1") {
        map.error(map.find("level")->location(), "RAID level '" + *level +
                                                     "' is not supported; only level 1 (a mirror "
                                                     "across two disks) is");
      }
    }
    parse_metadata(map, array);
    ContentContext context{ContentOwner::kRaidArray, what, array.name + "_crypt"};
    array.content = parse_content(map, context, diagnostics);
    if (array.content.empty()) {
      map.error(value.location(), what + " needs a filesystem or a volume_group");
    }
    layout.raid_arrays.push_back(std::move(array));
  });
}

}  // namespace reconcile::disk
