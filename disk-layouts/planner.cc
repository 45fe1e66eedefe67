// The planner in three passes. First each device's table is compared with
// the layout (planner_device.cc). Then the contents of kept partitions are
// walked: filesystems are checked against their signatures, LUKS, LVM and
// RAID layers are followed through the block device tree, and every
// filesystem the layout places is recorded with the node it has (or a shell
// word that finds it once a step has created it). Last, the steps are
// emitted: one destructive step per device (or per RAID pair), then the
// non-destructive fixes, mounts in dependency order and fstab entries.

#include "disk-layouts/planner.h"

#include <algorithm>
#include <set>

#include "disk-layouts/names.h"
#include "disk-layouts/planner_internal.h"
#include "disk-layouts/scripts.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

// A filesystem the layout places, as the plan will leave it.
struct Placement {
  const Filesystem* fs = nullptr;
  std::string where;                // "partition 3 of /dev/sda", for messages
  std::string node_word;            // a shell word for its node at run time
  const BlockNode* node = nullptr;  // in the facts; null when this plan creates it
};

// What blkid should find on a node holding `content`; `inside_luks` asks
// about the opened container's node instead of the encrypted one.
std::string expected_signature(const Content& content, bool inside_luks = false) {
  if (content.luks && !inside_luks) return "crypto_LUKS";
  if (content.filesystem) return std::string(fs_type_name(content.filesystem->type));
  if (content.volume_group) return "LVM2_member";
  if (content.raid_array) return "linux_raid_member";
  return "";
}

bool equal_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool labels_equal(FsType type, const std::string& have, const std::string& want) {
  // FAT labels are case-insensitive, and tools differ in the case they store.
  return type == FsType::kVfat ? equal_ignoring_case(have, want) : have == want;
}

// device-mapper doubles '-' inside VG and LV names when it joins them.
std::string dm_name(const std::string& group, const std::string& volume) {
  auto escape = [](const std::string& name) {
    std::string out;
    for (char c : name)
      out += c == '-' ? std::string("--") : std::string(1, c);
    return out;
  };
  return "/dev/mapper/" + escape(group) + "-" + escape(volume);
}

class Planner {
 public:
  Planner(const DiskLayout& layout, const DiskTarget& target, const DiskFacts& facts)
      : m_layout(layout), m_target(target), m_facts(facts) {}

  Result<DiskPlan> run();

 private:
  Status check_target() const;
  Status assess_contents(DeviceWork& work);
  Status place_device(const DeviceWork& work);
  Status place(const Content& content, const BlockNode* node, std::string word,
               const std::string& where, const DeviceFacts* device, bool inside_luks = false);
  Status place_group(const std::string& group, const BlockNode* pv, const DeviceFacts* device);
  void fix_partition(const DeviceWork& work, const Partition& partition);
  void emit_destructive(const std::vector<DeviceWork*>& works);
  void emit_labels();
  Status emit_mounts();
  void emit_fstab();
  const BlockNode* child_at(const DeviceFacts& device, const BlockNode& node,
                            const std::string& path, std::string_view kind_prefix) const;

  const DiskLayout& m_layout;
  const DiskTarget& m_target;
  const DiskFacts& m_facts;
  std::vector<Placement> m_placements;
  std::set<std::string> m_placed_stacks;  // groups and arrays already walked
  std::vector<DiskStep> m_destructive, m_fixes, m_mounts, m_fstab;
  bool m_root_mounted_by_plan = false;
};

Status Planner::check_target() const {
  if (m_target.devices.size() != m_layout.device_count()) {
    return invalid_argument(
        "layout '" + m_layout.name + "' needs " + std::to_string(m_layout.device_count()) +
        " device(s), the host names " + std::to_string(m_target.devices.size()));
  }
  std::set<std::string> seen;
  for (const std::string& device : m_target.devices) {
    if (!starts_with(device, "/dev/") || !check_mountpoint(device).empty()) {
      return invalid_argument("device '" + device + "' is not a plain /dev path");
    }
    if (!seen.insert(device).second)
      return invalid_argument("device " + device + " is named twice");
  }
  std::string problem = check_mountpoint(m_target.mount_root);
  if (!problem.empty())
    return invalid_argument("mount_root '" + m_target.mount_root + "' " + problem);
  return ok();
}

const BlockNode* Planner::child_at(const DeviceFacts& device, const BlockNode& node,
                                   const std::string& path, std::string_view kind_prefix) const {
  for (const std::string& child : node.children) {
    const BlockNode* holder = device.find_node(child);
    if (!holder) continue;
    if (!path.empty() && holder->path != path) continue;
    if (starts_with(holder->kind, kind_prefix)) return holder;
  }
  return nullptr;
}

// Partition-level content: a plain filesystem of the wrong type (or none) is
// reformatted; a LUKS, LVM or RAID partition whose signature is wrong takes
// the whole device with it, because its layers span more than one node.
Status Planner::assess_contents(DeviceWork& work) {
  const DeviceFacts& device = *work.facts;
  for (const Partition& partition : m_layout.partitions) {
    if (partition.content.empty()) continue;
    const PartitionEntry* entry = find_entry(device, partition.number);
    const BlockNode* node = entry ? device.find_node(entry->node) : nullptr;
    if (!node)
      return failed_precondition(device.device + ": no node for partition " +
                                 std::to_string(partition.number));
    const Signature& have = node->signature;
    std::string want = expected_signature(partition.content);
    if (have.ambivalent) {
      return failed_precondition(node->path +
                                 " carries conflicting signatures; inspect it with "
                                 "`wipefs " +
                                 node->path + "`");
    }
    if (have.type == want) continue;
    std::string reason = "partition " + std::to_string(partition.number) + " holds " +
                         describe_signature(have) + ", the layout wants " + want;
    if (!partition.content.filesystem || partition.content.luks) {
      if (!m_layout.raid_arrays.empty()) {
        return failed_precondition(device.device + ": " + reason +
                                   "; repairing a RAID1 pair is not automated (only blank disks "
                                   "are built)");
      }
      mark_rebuild(work, reason);
      return ok();
    }
    work.reformat.push_back(partition.number);
    work.reasons.push_back(reason);
    work.losses.push_back(describe_partition(device, *entry));
  }
  return ok();
}

void Planner::fix_partition(const DeviceWork& work, const Partition& partition) {
  const DeviceFacts& device = *work.facts;
  const PartitionEntry* entry = find_entry(device, partition.number);
  std::string want_type(partition_type_code(m_layout.table, partition.type));
  std::string number = std::to_string(partition.number);
  auto fix = [&](std::string description, std::string reason, std::string command) {
    m_fixes.push_back({device.device,
                       std::move(description),
                       std::move(reason),
                       false,
                       {},
                       std::nullopt,
                       script_preamble() + command + "\n"});
  };
  if (!equal_ignoring_case(entry->type, want_type)) {
    fix("set the type of partition " + number + " of " + device.device + " to " +
            std::string(partition_type_name(partition.type)),
        "its type is " + describe_type_code(entry->type),
        "sfdisk --quiet --part-type " + shell_quote(device.device) + " " + number + " " +
            shell_quote(want_type) + "\n" + sync_partitions(shell_quote(device.device)));
  }
  if (partition.name && entry->name != *partition.name) {
    fix("name partition " + number + " of " + device.device + " '" + *partition.name + "'",
        entry->name.empty() ? "it has no name" : "its name is '" + entry->name + "'",
        "sfdisk --quiet --part-label " + shell_quote(device.device) + " " + number + " " +
            shell_quote(*partition.name) + "\n" + sync_partitions(shell_quote(device.device)));
  }
}

Status Planner::place_group(const std::string& group, const BlockNode* pv,
                            const DeviceFacts* device) {
  if (!m_placed_stacks.insert("vg:" + group).second) return ok();
  for (const VolumeGroup& declared : m_layout.volume_groups) {
    if (declared.name != group) continue;
    for (const LogicalVolume& volume : declared.logical_volumes) {
      std::string where = "logical volume " + group + "/" + volume.name;
      if (!pv) {
        TRY(place(volume.content, nullptr, shell_quote(logical_volume_path(group, volume.name)),
                  where, nullptr));
        continue;
      }
      const BlockNode* lv = child_at(*device, *pv, dm_name(group, volume.name), "lvm");
      if (!lv) {
        return failed_precondition(where + " is not active on " + pv->path +
                                   "; creating or activating logical volumes in an existing "
                                   "group is not automated (vgchange -ay, lvcreate)");
      }
      TRY(place(volume.content, lv, shell_quote(lv->path), where, device));
    }
  }
  return ok();
}

// Walks one content declaration. `node` is its node in the facts, or null
// when the plan creates it; `word` finds the node at run time. With
// `inside_luks`, `node` is the opened container and `content`'s luks is
// already walked. Placements point into `content`, which is the layout's
// own (never a copy), so they stay valid for the whole plan.
Status Planner::place(const Content& content, const BlockNode* node, std::string word,
                      const std::string& where, const DeviceFacts* device, bool inside_luks) {
  if (node && !content.empty()) {
    std::string want = expected_signature(content, inside_luks);
    if (node->signature.type != want) {
      return failed_precondition(where + " (" + node->path + ") holds " +
                                 describe_signature(node->signature) + ", the layout wants " +
                                 want + "; rewriting inside LUKS, LVM or RAID is not automated");
    }
  }
  if (content.luks && !inside_luks) {
    std::string mapper = mapper_path(content.luks->mapper);
    if (node) {
      const BlockNode* opened = child_at(*device, *node, mapper, "crypt");
      if (!opened) {
        m_fixes.push_back({device->device,
                           "open the LUKS container on " + node->path + " as " + mapper,
                           "it is closed",
                           false,
                           {},
                           content.luks->key,
                           script_preamble() + "cryptsetup open --key-file=- " +
                               shell_quote(node->path) + " " + shell_quote(content.luks->mapper) +
                               "\n"});
        return ok();  // what is inside is checked once it is open
      }
      node = opened;
    }
    word = shell_quote(mapper);
    if (node) return place(content, node, word, where + " (inside LUKS)", device, true);
  }
  if (content.filesystem) m_placements.push_back({&*content.filesystem, where, word, node});
  if (content.volume_group) TRY(place_group(*content.volume_group, node, device));
  if (content.raid_array && m_placed_stacks.insert("md:" + *content.raid_array).second) {
    for (const RaidArray& array : m_layout.raid_arrays) {
      if (array.name != *content.raid_array) continue;
      const BlockNode* md = node ? child_at(*device, *node, "", "raid") : nullptr;
      if (node && !md) {
        return failed_precondition("raid array '" + array.name + "' is not assembled on " +
                                   node->path +
                                   "; assembling or repairing arrays is not automated");
      }
      TRY(place(array.content, md,
                md ? shell_quote(md->path) : shell_quote(raid_array_path(array.name)),
                "raid array " + array.name, device));
    }
  }
  return ok();
}

Status Planner::place_device(const DeviceWork& work) {
  const DeviceFacts& device = *work.facts;
  for (const Partition& partition : m_layout.partitions) {
    std::string where = "partition " + std::to_string(partition.number) + " of " + device.device;
    bool fresh = work.rebuild ||
                 std::count(work.reformat.begin(), work.reformat.end(), partition.number) > 0;
    if (!work.rebuild) fix_partition(work, partition);
    const PartitionEntry* entry = fresh ? nullptr : find_entry(device, partition.number);
    const BlockNode* node = entry ? device.find_node(entry->node) : nullptr;
    std::string word =
        node ? shell_quote(node->path) : partition_word(device.device, partition.number);
    if (!node) {
      TRY(place(partition.content, nullptr, word, where, &device));
      continue;
    }
    // A plain filesystem's signature was compared in assess_contents.
    if (partition.content.filesystem && !partition.content.luks) {
      m_placements.push_back({&*partition.content.filesystem, where, word, node});
      continue;
    }
    TRY(place(partition.content, node, word, where, &device));
  }
  return ok();
}

void Planner::emit_destructive(const std::vector<DeviceWork*>& works) {
  DiskStep step;
  step.destructive = true;
  CreationScript script(m_layout);
  std::vector<std::string> devices, what;
  for (DeviceWork* work : works) {
    const DeviceFacts& device = *work->facts;
    devices.push_back(device.device);
    for (const std::string& reason : work->reasons)
      step.reason += (step.reason.empty() ? "" : "; ") + device.device + ": " + reason;
    for (const std::string& loss : work->losses)
      step.losses.push_back(device.device + " " + loss);
    if (work->rebuild) {
      std::vector<std::string> old_nodes;
      for (const BlockNode& node : device.nodes) {
        if (node.kind == "part") old_nodes.push_back(node.path);
      }
      script.partition_device(device.device, old_nodes,
                              sfdisk_script(m_layout, work->geometry, device.sector_size));
      for (const Partition& partition : m_layout.partitions) {
        script.create_content(partition.content, partition_word(device.device, partition.number),
                              partition.type == PartitionType::kEsp);
      }
      what.push_back("write a new " + std::string(table_type_name(m_layout.table)) +
                     " partition table with " + std::to_string(m_layout.partitions.size()) +
                     " partitions to " + device.device + " and create their contents");
      continue;
    }
    for (int number : work->drop) {
      script.wipe_node(find_entry(device, number)->node);
    }
    if (!work->drop.empty()) {
      std::vector<std::string> numbers;
      for (int number : work->drop)
        numbers.push_back(std::to_string(number));
      what.push_back("delete partition(s) " + join(numbers, ", ") + " of " + device.device);
    }
    for (const Partition& partition : m_layout.partitions) {
      if (std::count(work->reformat.begin(), work->reformat.end(), partition.number) == 0) continue;
      const PartitionEntry* entry = find_entry(device, partition.number);
      script.wipe_node(entry->node);
      script.create_content(partition.content, shell_quote(entry->node),
                            partition.type == PartitionType::kEsp);
      what.push_back("create " + std::string(fs_type_name(partition.content.filesystem->type)) +
                     " on " + entry->node);
    }
  }
  script.finish_stacks();
  step.device = join(devices, " ");
  step.description = join(what, "; ");
  step.secret_input = script.secret();
  step.script = script.script();
  for (DeviceWork* work : works) {
    if (work->rebuild || work->drop.empty()) continue;
    std::vector<std::string> numbers;
    for (int number : work->drop)
      numbers.push_back(std::to_string(number));
    std::string device = shell_quote(work->facts->device);
    step.script += "sfdisk --quiet --delete " + device + " " + join(numbers, " ") + "\n" +
                   sync_partitions(device);
  }
  m_destructive.push_back(std::move(step));
}

struct MountWant {
  std::string mountpoint;
  const Placement* placement = nullptr;
  std::optional<std::string> subvolume;
  std::vector<std::string> options;
};

std::vector<MountWant> wanted_mounts(const std::vector<Placement>& placements) {
  std::vector<MountWant> out;
  for (const Placement& placement : placements) {
    const Filesystem& fs = *placement.fs;
    if (fs.mountpoint) out.push_back({*fs.mountpoint, &placement, std::nullopt, fs.mount_options});
    for (const Subvolume& subvolume : fs.subvolumes) {
      if (subvolume.mountpoint) {
        out.push_back({*subvolume.mountpoint, &placement, subvolume.name, subvolume.mount_options});
      }
    }
  }
  // Parents first: "/" before "/boot" before "/boot/efi".
  auto depth = [](const std::string& path) {
    return path == "/" ? 0 : std::count(path.begin(), path.end(), '/');
  };
  std::stable_sort(out.begin(), out.end(), [&](const MountWant& a, const MountWant& b) {
    return std::make_pair(depth(a.mountpoint), a.mountpoint) <
           std::make_pair(depth(b.mountpoint), b.mountpoint);
  });
  return out;
}

bool is_mounted_here(const MountEntry& mount, const BlockNode& node, const MountWant& want) {
  bool same_device =
      (!node.maj_min.empty() && mount.maj_min == node.maj_min) || mount.source == node.path;
  if (!same_device) return false;
  if (want.placement->fs->type != FsType::kBtrfs) return true;
  return mount.root == (want.subvolume ? "/" + *want.subvolume : "/");
}

void Planner::emit_labels() {
  for (const Placement& placement : m_placements) {
    const Filesystem& fs = *placement.fs;
    if (!placement.node || !fs.label) continue;
    const std::string& have = placement.node->signature.label;
    if (labels_equal(fs.type, have, *fs.label)) continue;
    std::optional<std::string> mounted_at;
    for (const MountEntry& mount : m_facts.mounts) {
      if (mount.maj_min == placement.node->maj_min || mount.source == placement.node->path) {
        mounted_at = mount.target;
      }
    }
    m_fixes.push_back({"",
                       "label the " + std::string(fs_type_name(fs.type)) + " filesystem on " +
                           placement.node->path + " '" + *fs.label + "'",
                       have.empty() ? "it has no label" : "its label is '" + have + "'",
                       false,
                       {},
                       std::nullopt,
                       label_script(fs.type, placement.node->path, *fs.label, mounted_at)});
  }
}

Status Planner::emit_mounts() {
  for (const MountWant& want : wanted_mounts(m_placements)) {
    std::string target = under_root(m_target.mount_root, want.mountpoint);
    const Placement& placement = *want.placement;
    const MountEntry* mount = m_facts.mount_at(target);
    if (mount && placement.node && is_mounted_here(*mount, *placement.node, want)) continue;
    if (mount) {
      return failed_precondition(target + " is held by " + mount->source + " (" + mount->fstype +
                                 "); not mounting " + placement.where + " over it");
    }
    if (want.mountpoint == "/") m_root_mounted_by_plan = true;
    std::string fstype(fs_type_name(placement.fs->type));
    std::string what = placement.where + (want.subvolume ? " subvolume " + *want.subvolume : "");
    m_mounts.push_back(
        {"",
         "mount " + what + " (" + fstype + ") at " + target,
         "nothing is mounted at " + target,
         false,
         {},
         std::nullopt,
         mount_script(placement.node_word, target, fstype, want.options, want.subvolume)});
  }
  if (m_target.mount_root != "/") return ok();
  // Swap is activated only on the running system; under another root (a
  // bootstrap, a test) the fstab entry is what matters.
  for (const Placement& placement : m_placements) {
    if (placement.fs->type != FsType::kSwap) continue;
    if (placement.node &&
        std::count(m_facts.swaps.begin(), m_facts.swaps.end(), placement.node->path))
      continue;
    m_mounts.push_back({"",
                        "activate swap on " + placement.where,
                        "it is not active swap",
                        false,
                        {},
                        std::nullopt,
                        script_preamble() + "swapon " + placement.node_word + "\n"});
  }
  return ok();
}

void Planner::emit_fstab() {
  std::string fstab_path = under_root(m_target.mount_root, "/etc/fstab");
  std::vector<MountWant> wants = wanted_mounts(m_placements);
  for (const Placement& placement : m_placements) {
    if (placement.fs->type == FsType::kSwap)
      wants.push_back({"none", &placement, std::nullopt, {"sw"}});
  }
  for (const MountWant& want : wants) {
    const Placement& placement = *want.placement;
    FsType type = placement.fs->type;
    std::string fstype(fs_type_name(type));
    std::string options =
        type == FsType::kSwap ? "sw" : fstab_options(want.options, want.subvolume);
    std::string passno = fstab_passno(type, want.mountpoint);
    std::string uuid = placement.node ? placement.node->signature.uuid : "";
    std::string spec = "UUID=" + (uuid.empty() ? std::string("<new>") : uuid);
    std::string entry =
        spec + " " + want.mountpoint + " " + fstype + " " + options + " 0 " + passno;
    std::string reason;
    if (m_root_mounted_by_plan) {
      reason = "the root filesystem is mounted by this plan, so its fstab is written afresh";
    } else if (uuid.empty()) {
      reason = "the filesystem is created by this plan";
    } else {
      std::vector<const FstabEntry*> found;
      for (const FstabEntry& line : m_facts.fstab) {
        bool ours = type == FsType::kSwap ? line.spec == spec : line.file == want.mountpoint;
        if (ours) found.push_back(&line);
      }
      if (found.size() == 1 && found[0]->spec == spec && found[0]->vfstype == fstype &&
          found[0]->options == options && found[0]->passno == passno) {
        continue;
      }
      reason = found.empty() ? "it has no entry for " + want.mountpoint
               : found.size() > 1
                   ? "it has " + std::to_string(found.size()) + " entries for " + want.mountpoint
                   : "its entry (line " + std::to_string(found[0]->line) + ") reads '" +
                         found[0]->spec + " " + found[0]->file + " " + found[0]->vfstype + " " +
                         found[0]->options + " " + found[0]->freq + " " + found[0]->passno + "'";
    }
    m_fstab.push_back(
        {"",
         "write '" + entry + "' to " + fstab_path,
         reason,
         false,
         {},
         std::nullopt,
         fstab_script(placement.node_word, fstab_path, want.mountpoint, fstype, options, passno)});
  }
}

Result<DiskPlan> Planner::run() {
  TRY(check_target());
  std::vector<DeviceWork> works;
  for (const std::string& name : m_target.devices) {
    const DeviceFacts* device = m_facts.find_device(name);
    if (!device) return failed_precondition("the probe has no facts for " + name);
    DeviceWork work = TRY(assess_device(m_layout, *device));
    if (!work.rebuild) TRY(assess_contents(work));
    works.push_back(std::move(work));
  }
  std::vector<DeviceWork*> destructive;
  for (DeviceWork& work : works) {
    TRY(check_not_in_use(m_facts, work));
    if (work.destructive()) destructive.push_back(&work);
  }
  if (!m_layout.raid_arrays.empty() && !destructive.empty()) {
    // A RAID1 pair is built from two blank disks in one step; anything in
    // between (one disk replaced, a degraded array) needs an operator.
    for (DeviceWork& work : works) {
      const DeviceFacts& device = *work.facts;
      if (!device.table.empty() || !device.nodes.front().signature.empty()) {
        return failed_precondition(
            "layout '" + m_layout.name + "' builds a RAID1 pair only from two blank disks, and " +
            device.device + " is not blank (" + join(work.reasons, "; ") +
            "); repairing or rebuilding one side of an array is not automated");
      }
    }
    emit_destructive(destructive);
  } else {
    for (DeviceWork* work : destructive)
      emit_destructive({work});
  }
  for (const DeviceWork& work : works)
    TRY(place_device(work));
  emit_labels();
  TRY(emit_mounts());
  emit_fstab();
  DiskPlan plan;
  for (auto* list : {&m_destructive, &m_fixes, &m_mounts, &m_fstab}) {
    for (DiskStep& step : *list) {
      if (step.device.empty()) step.device = join(m_target.devices, " ");
      plan.steps.push_back(std::move(step));
    }
  }
  return plan;
}

}  // namespace

Result<DiskPlan> plan_disk(const DiskLayout& layout, const DiskTarget& target,
                           const DiskFacts& facts) {
  return Planner(layout, target, facts).run();
}

}  // namespace reconcile::disk
