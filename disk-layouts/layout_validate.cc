// Checks that need the whole layout at once. Each problem is reported at the
// node it concerns, so "two rest" points at the second one and a dangling
// volume group reference at the partition that makes it.

#include <functional>
#include <map>

#include "disk-layouts/layout_internal.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

using ContentVisitor =
    std::function<void(const Content&, const std::string& what, const Location& at)>;

void for_each_content(const DiskLayout& layout, const ContentVisitor& visit) {
  for (const Partition& partition : layout.partitions) {
    visit(partition.content, "partition " + std::to_string(partition.number), partition.location);
  }
  for (const VolumeGroup& group : layout.volume_groups) {
    for (const LogicalVolume& volume : group.logical_volumes) {
      visit(volume.content, "logical volume '" + group.name + "/" + volume.name + "'",
            volume.location);
    }
  }
  for (const RaidArray& array : layout.raid_arrays) {
    visit(array.content, "raid array '" + array.name + "'", array.location);
  }
}

// At most one `rest`, percentages that add up to at most 100, and room left
// for the others when they add up to exactly 100.
template <typename Item>
void check_sizes(const std::vector<Item>& items, const std::string& where,
                 Diagnostics& diagnostics) {
  const Item* rest = nullptr;
  int percent = 0;
  bool has_other = false;
  for (const Item& item : items) {
    if (item.size.kind == Size::Kind::kRest) {
      if (rest) {
        diagnostics.error(item.location, "only one entry of " + where +
                                             " can take the 'rest'; another already does (" +
                                             rest->location.to_string() + ")");
      }
      rest = &item;
      has_other = true;
    } else if (item.size.kind == Size::Kind::kPercent) {
      percent += item.size.percent;
      if (percent > 100) {
        diagnostics.error(item.location, "the percentages of " + where + " add up to " +
                                             std::to_string(percent) + "%, more than 100%");
      }
    } else {
      has_other = true;
    }
  }
  if (percent == 100 && has_other) {
    diagnostics.error(items.front().location,
                      "the percentages of " + where + " take 100%, leaving no room for the others");
  }
}

void check_table(const DiskLayout& layout, Diagnostics& diagnostics) {
  if (layout.table == TableType::kGpt) {
    if (layout.partitions.size() > 128) {
      diagnostics.error(layout.location, "gpt holds at most 128 partitions");
    }
    return;
  }
  if (layout.partitions.size() > 4) {
    diagnostics.error(layout.partitions[4].location,
                      "msdos holds at most 4 (primary) partitions; use table: gpt");
  }
  for (const Partition& partition : layout.partitions) {
    if (partition.name) {
      diagnostics.error(partition.location, "msdos partitions have no names; use table: gpt");
    }
    if (partition.type == PartitionType::kBiosBoot) {
      diagnostics.error(partition.location,
                        "bios_boot is for gpt only; on msdos GRUB embeds itself after the MBR");
    }
  }
}

void check_references(const DiskLayout& layout, Diagnostics& diagnostics) {
  std::vector<std::string> groups, arrays;
  for (const VolumeGroup& group : layout.volume_groups)
    groups.push_back(group.name);
  for (const RaidArray& array : layout.raid_arrays)
    arrays.push_back(array.name);
  std::map<std::string, int> group_members, array_members;
  auto check = [&](const std::optional<std::string>& name, const std::vector<std::string>& known,
                   std::string_view kind, std::map<std::string, int>& members,
                   const std::string& what, const Location& at) {
    if (!name) return;
    ++members[*name];
    if (std::find(known.begin(), known.end(), *name) != known.end()) return;
    std::string message = what + " refers to " + std::string(kind) + " '" + *name +
                          "', which the layout does not declare";
    std::string suggestion = closest_match(*name, known);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    diagnostics.error(at, message);
  };
  for_each_content(layout,
                   [&](const Content& content, const std::string& what, const Location& at) {
                     check(content.volume_group, groups, "volume group", group_members, what, at);
                     check(content.raid_array, arrays, "raid array", array_members, what, at);
                   });
  for (const VolumeGroup& group : layout.volume_groups) {
    if (group_members[group.name] == 0) {
      diagnostics.error(group.location, "volume group '" + group.name +
                                            "' has no physical volume (no partition or array "
                                            "names it in 'volume_group')");
    }
  }
  for (const RaidArray& array : layout.raid_arrays) {
    if (array_members[array.name] != 1) {
      diagnostics.error(array.location, "raid array '" + array.name +
                                            "' needs exactly one partition of type "
                                            "raid per disk naming it (found " +
                                            std::to_string(array_members[array.name]) + ")");
    }
  }
}

void check_unique(const DiskLayout& layout, Diagnostics& diagnostics) {
  std::map<std::string, Location> mountpoints, mappers;
  auto claim = [&](std::map<std::string, Location>& seen, const std::string& key,
                   std::string_view kind, const Location& at) {
    auto [it, inserted] = seen.emplace(key, at);
    if (!inserted) {
      diagnostics.error(at, std::string(kind) + " '" + key + "' is used twice (also at " +
                                it->second.to_string() + ")");
    }
  };
  for_each_content(layout, [&](const Content& content, const std::string&, const Location& at) {
    if (content.luks) claim(mappers, content.luks->mapper, "luks name", content.luks->location);
    if (!content.filesystem) return;
    const Filesystem& fs = *content.filesystem;
    if (fs.mountpoint) claim(mountpoints, *fs.mountpoint, "mountpoint", fs.location);
    for (const Subvolume& subvolume : fs.subvolumes) {
      if (subvolume.mountpoint) {
        claim(mountpoints, *subvolume.mountpoint, "mountpoint", subvolume.location);
      }
    }
    (void)at;
  });
}

}  // namespace

void validate_layout(const DiskLayout& layout, Diagnostics& diagnostics) {
  check_table(layout, diagnostics);
  check_sizes(layout.partitions, "the partitions", diagnostics);
  for (const VolumeGroup& group : layout.volume_groups) {
    if (!group.logical_volumes.empty()) {
      check_sizes(group.logical_volumes, "volume group '" + group.name + "'", diagnostics);
    }
  }
  check_references(layout, diagnostics);
  check_unique(layout, diagnostics);
}

}  // namespace reconcile::disk
