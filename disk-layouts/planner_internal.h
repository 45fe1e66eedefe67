#pragma once

// Shared by planner.cc and planner_device.cc; not for use elsewhere.

#include <optional>
#include <string>
#include <vector>

#include "disk-layouts/facts.h"
#include "disk-layouts/geometry.h"
#include "disk-layouts/layout.h"
#include "disk-layouts/plan.h"

namespace reconcile::disk {

// What the planner decided about one device's partition table.
struct DeviceWork {
  const DeviceFacts* facts = nullptr;
  std::vector<PartitionGeometry> geometry;
  bool rebuild = false;       // new table and everything on it
  std::vector<int> reformat;  // partitions whose filesystem is recreated
  std::vector<int> drop;      // partitions the layout does not declare
  std::vector<std::string> reasons;
  std::vector<std::string> losses;

  bool destructive() const { return rebuild || !reformat.empty() || !drop.empty(); }
};

// "ext4 'root' (UUID 1234...)", "crypto_LUKS (UUID ...)", "no recognizable content".
std::string describe_signature(const Signature& signature);

// "partition 3 (/dev/sda3, 20 GiB at 513 MiB, Linux filesystem, name 'root'):
// ext4 'root' (UUID ...)", with what sits on top of it.
std::string describe_partition(const DeviceFacts& device, const PartitionEntry& entry);

// Why `node` cannot be rewritten now (mounted at, active swap, held by), or
// nullopt when it is free.
std::optional<std::string> node_in_use(const DiskFacts& facts, const DeviceFacts& device,
                                       const BlockNode& node);

// Compares the device's table and partition geometry with the layout; fills
// rebuild / drop with reasons and losses. Refuses unknown or ambiguous states.
Result<DeviceWork> assess_device(const DiskLayout& layout, const DeviceFacts& device);

// Marks the whole device for a rebuild (reason given), listing every
// partition, or the whole-device signature, as lost.
void mark_rebuild(DeviceWork& work, std::string reason);

// Refuses when a destructive change would touch a node in use.
Status check_not_in_use(const DiskFacts& facts, const DeviceWork& work);

// The partition table entry for `number`, or nullptr.
const PartitionEntry* find_entry(const DeviceFacts& device, int number);

}  // namespace reconcile::disk
