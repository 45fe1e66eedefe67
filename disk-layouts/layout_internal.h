#pragma once

// Pieces of the disk layout parser shared between layout.cc,
// layout_content.cc and layout_validate.cc. Not for use elsewhere.

#include <optional>
#include <string>

#include "disk-layouts/layout.h"
#include "disk-layouts/yaml_reader.h"

namespace reconcile::disk {

enum class ContentOwner { kPartition, kLogicalVolume, kRaidArray };

struct ContentContext {
  ContentOwner owner;
  std::string what;            // "partition 3", for messages
  std::string default_mapper;  // LUKS mapper name when `luks` names none; empty = required
};

// Reads `key` as a Size; reports a missing (when required) or bad size.
std::optional<Size> parse_size_field(const MapReader& map, std::string_view key, bool required);

// Reads luks / filesystem / volume_group / raid_array from `map` (whichever
// the caller allowed as keys) and checks that they combine sensibly.
Content parse_content(const MapReader& map, const ContentContext& context,
                      Diagnostics& diagnostics);

// Checks that a partition's type fits what it holds (an ESP holds vfat, an
// lvm partition a volume group, ...).
void check_partition_content(const Partition& partition, const MapReader& map,
                             Diagnostics& diagnostics);

void parse_volume_groups(const MapReader& top, DiskLayout& layout, Diagnostics& diagnostics);
void parse_raid_arrays(const MapReader& top, DiskLayout& layout, Diagnostics& diagnostics);

// Checks that need the whole layout: table limits, `rest` and percentages,
// references between partitions, groups and arrays, unique mountpoints and
// mapper names.
void validate_layout(const DiskLayout& layout, Diagnostics& diagnostics);

}  // namespace reconcile::disk
