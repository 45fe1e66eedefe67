#include "disk-layouts/layout.h"

namespace reconcile::disk {

std::optional<DiskLayout> parse_disk_layout(const YamlNode& root, const std::string& name,
                                            Diagnostics& diagnostics) {
  if (!root.is_map()) {
    diagnostics.error(root.location(), "a disk layout must be a map");
    return std::nullopt;
  }
  return DiskLayout{name, root.location()};
}

}  // namespace reconcile::disk
