#pragma once

// The declarative disk layout model. Placeholder: the full model (partition
// tables, partitions, filesystems, LUKS, LVM, RAID) and its planner live here.

#include <optional>
#include <string>

#include "reconciler/base/diagnostics.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::disk {

struct DiskLayout {
  std::string name;
  Location location;
};

// Parses and validates disk-layouts/<name>.yaml. Problems are added to
// `diagnostics` with file:line:col; returns nullopt when the layout is unusable.
std::optional<DiskLayout> parse_disk_layout(const YamlNode& root, const std::string& name,
                                            Diagnostics& diagnostics);

}  // namespace reconcile::disk
