#pragma once

// The disk planner: a pure function from a layout, the devices a host gives
// it, and the facts probed from that host, to a plan (plan.h). It never
// touches a host; the plan's scripts do, when someone runs them.
//
// Per device: a device that matches the layout gets no step. What can be
// fixed without losing data (a filesystem label, a GPT partition name or
// type, a filesystem that is not mounted, a missing or different fstab entry)
// gets non-destructive steps. Anything that destroys data (a new partition
// table, a partition moved or resized, a filesystem of another type or none
// where one is declared, partitions the layout does not declare) becomes ONE
// destructive step for that device, which lists exactly what would be lost.
// Unknown or ambiguous states are refused with an explanation instead of
// guessed at: a missing device, ambivalent signatures, a kernel whose view of
// the partitions differs from the disk, a device in use that would have to be
// rewritten, a mountpoint that another device holds, and the LVM/RAID states
// whose repair is not automated (see disk-layouts/README.md).

#include <string>
#include <vector>

#include "disk-layouts/facts.h"
#include "disk-layouts/layout.h"
#include "disk-layouts/plan.h"
#include "reconciler/base/result.h"

namespace reconcile::disk {

// Where a host applies a layout: `disk: { layout, device | devices, mount_root }`.
struct DiskTarget {
  std::vector<std::string> devices;  // one, or two for a RAID1 layout
  std::string mount_root = "/";      // "/" on a running system, "/mnt" in a bootstrap
};

// Returns the plan, or an error that explains the refusal: kInvalidArgument
// when the target does not fit the layout (device count, paths),
// kFailedPrecondition when the host's state is unknown, ambiguous, in use or
// not something the planner repairs.
Result<DiskPlan> plan_disk(const DiskLayout& layout, const DiskTarget& target,
                           const DiskFacts& facts);

}  // namespace reconcile::disk
