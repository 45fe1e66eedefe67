// Device-level decisions of the planner: does the partition table match the
// layout, and if not, what exactly would rewriting it lose.

#include <algorithm>

#include "disk-layouts/planner_internal.h"
#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

std::string want_table(const DiskLayout& layout) {
  return layout.table == TableType::kGpt ? "gpt" : "dos";
}

std::string geometry_text(uint64_t size, uint64_t start) {
  return format_bytes(size) + " at " + format_bytes(start);
}

}  // namespace

std::string describe_signature(const Signature& signature) {
  if (signature.ambivalent) return "several conflicting signatures";
  if (signature.type.empty() && !signature.pttype.empty()) {
    return "a " + signature.pttype + " partition table";
  }
  if (signature.type.empty()) return "no recognizable content";
  std::string out = signature.type;
  if (!signature.label.empty()) out += " '" + signature.label + "'";
  if (!signature.uuid.empty()) out += " (UUID " + signature.uuid + ")";
  return out;
}

const PartitionEntry* find_entry(const DeviceFacts& device, int number) {
  for (const PartitionEntry& entry : device.partitions) {
    if (entry.number == number) return &entry;
  }
  return nullptr;
}

std::string describe_partition(const DeviceFacts& device, const PartitionEntry& entry) {
  std::string out = "partition " + std::to_string(entry.number) + " (" + entry.node + ", " +
                    geometry_text(entry.size, entry.start) + ", " + describe_type_code(entry.type);
  if (!entry.name.empty()) out += ", name '" + entry.name + "'";
  out += ")";
  const BlockNode* node = device.find_node(entry.node);
  if (!node) return out + ": content unknown (the kernel has no node for it)";
  out += ": " + describe_signature(node->signature);
  for (const std::string& child : node->children) {
    const BlockNode* holder = device.find_node(child);
    out += ", under " + child;
    if (holder && !holder->signature.type.empty())
      out += " " + describe_signature(holder->signature);
  }
  return out;
}

std::optional<std::string> node_in_use(const DiskFacts& facts, const DeviceFacts& device,
                                       const BlockNode& node) {
  for (const MountEntry& mount : facts.mounts) {
    if ((!node.maj_min.empty() && mount.maj_min == node.maj_min) || mount.source == node.path) {
      return node.path + " is mounted at " + mount.target;
    }
  }
  for (const std::string& swap : facts.swaps) {
    if (swap == node.path) return node.path + " is active swap";
  }
  for (const std::string& child : node.children) {
    const BlockNode* holder = device.find_node(child);
    if (holder && holder->kind != "part") {
      return node.path + " is held by " + child + " (" + holder->kind + ")";
    }
  }
  return std::nullopt;
}

void mark_rebuild(DeviceWork& work, std::string reason) {
  const DeviceFacts& device = *work.facts;
  work.rebuild = true;
  work.reformat.clear();
  work.drop.clear();
  work.reasons = {std::move(reason)};
  work.losses.clear();
  for (const PartitionEntry& entry : device.partitions) {
    work.losses.push_back(describe_partition(device, entry));
  }
  if (work.losses.empty()) {
    const Signature& whole = device.nodes.front().signature;
    work.losses.push_back(whole.empty() ? "nothing recognizable (no partition table, no signature)"
                                        : describe_signature(whole) + " on the whole device (" +
                                              format_bytes(device.size) + ")");
  }
}

Result<DeviceWork> assess_device(const DiskLayout& layout, const DeviceFacts& device) {
  DeviceWork work;
  work.facts = &device;
  const std::string& name = device.device;
  if (!device.exists) return failed_precondition(name + " does not exist or is not a block device");
  if (device.nodes.empty() || device.size == 0) {
    return failed_precondition("the probe could not tell the size of " + name);
  }
  const BlockNode& top = device.nodes.front();
  if (top.kind == "part") return failed_precondition(name + " is a partition, not a whole disk");
  if (top.signature.ambivalent) {
    return failed_precondition(name +
                               " carries conflicting signatures (blkid will not choose); "
                               "inspect it with `wipefs " +
                               name + "` before using it");
  }
  work.geometry = TRY_CONTEXT(name, layout_geometry(layout, device.size, device.sector_size));
  size_t kernel_partitions = static_cast<size_t>(std::count_if(
      device.nodes.begin(), device.nodes.end(),
      [&](const BlockNode& node) { return node.kind == "part" && node.parent == top.path; }));
  if (kernel_partitions != device.partitions.size()) {
    return failed_precondition(
        name + ": the partition table lists " + std::to_string(device.partitions.size()) +
        " partitions but the kernel knows " + std::to_string(kernel_partitions) +
        "; sync them (`partx -u " + name + "` or a reboot) before planning");
  }
  if (device.table.empty()) {
    mark_rebuild(work, top.signature.empty() ? "it holds no partition table"
                                             : "it holds " + describe_signature(top.signature) +
                                                   " instead of a partition table");
    return work;
  }
  if (device.table != want_table(layout)) {
    mark_rebuild(work, "it has a " + device.table + " partition table, the layout wants " +
                           want_table(layout));
    return work;
  }
  for (size_t i = 0; i < layout.partitions.size(); ++i) {
    const PartitionGeometry& want = work.geometry[i];
    const PartitionEntry* entry = find_entry(device, want.number);
    if (!entry) {
      mark_rebuild(work, "partition " + std::to_string(want.number) + " is missing");
      return work;
    }
    if (entry->start != want.start || entry->size != want.size) {
      mark_rebuild(work, "partition " + std::to_string(want.number) + " is " +
                             geometry_text(entry->size, entry->start) + ", the layout wants " +
                             geometry_text(want.size, want.start));
      return work;
    }
  }
  for (const PartitionEntry& entry : device.partitions) {
    if (entry.number >= 1 && static_cast<size_t>(entry.number) <= layout.partitions.size())
      continue;
    work.drop.push_back(entry.number);
    work.losses.push_back(describe_partition(device, entry));
  }
  if (!work.drop.empty()) {
    work.reasons.push_back("the layout does not declare " +
                           std::string(work.drop.size() == 1 ? "partition " : "partitions ") + [&] {
                             std::vector<std::string> numbers;
                             for (int number : work.drop)
                               numbers.push_back(std::to_string(number));
                             return join(numbers, ", ");
                           }());
  }
  return work;
}

Status check_not_in_use(const DiskFacts& facts, const DeviceWork& work) {
  const DeviceFacts& device = *work.facts;
  std::vector<const BlockNode*> touched;
  if (work.rebuild) {
    for (const BlockNode& node : device.nodes)
      touched.push_back(&node);
  }
  for (int number : work.reformat) {
    if (const PartitionEntry* entry = find_entry(device, number))
      touched.push_back(device.find_node(entry->node));
  }
  for (int number : work.drop) {
    if (const PartitionEntry* entry = find_entry(device, number))
      touched.push_back(device.find_node(entry->node));
  }
  for (const BlockNode* node : touched) {
    if (!node) continue;
    if (std::optional<std::string> use = node_in_use(facts, device, *node)) {
      return failed_precondition("refusing to rewrite " + device.device +
                                 " while it is in use: " + *use);
    }
  }
  return ok();
}

}  // namespace reconcile::disk
