#pragma once

// A disk plan: the steps that take a host's disks from what the facts show to
// what a layout declares. Plain data, built by plan_disk (planner.h) and run
// by whoever applies plans; each step's script is complete on its own.

#include <optional>
#include <string>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::disk {

struct DiskStep {
  std::string device;       // the device(s) the step concerns: "/dev/sda" or "/dev/sda /dev/sdb"
  std::string description;  // what it does, for people
  std::string reason;       // why it is needed: what the facts show against the layout
  bool destructive = false;
  // For a destructive step: every thing that would be lost, one per entry
  // ("partition 3 (/dev/sda3, 20 GiB, Linux filesystem): ext4 'root', UUID ...").
  std::vector<std::string> losses;
  // The name of a secret (a LUKS key) whose bytes must follow the script on
  // stdin; the script reads exactly that input. Unset for most steps.
  std::optional<std::string> secret_input;
  // POSIX sh, for `/bin/sh -s` as root; starts with `set -eu`. Every value
  // from the layout or the host reached it through shell_quote.
  std::string script;
};

struct DiskPlan {
  std::vector<DiskStep> steps;

  bool empty() const { return steps.empty(); }
  bool has_destructive() const;
};

// ok when the plan may run: it has no destructive step, or
// `allow_destructive` is set. Otherwise kFailedPrecondition whose message
// lists each destructive step with what it would lose and says that
// --allow-destructive is needed.
Status check_destructive_allowed(const DiskPlan& plan, bool allow_destructive);

// The plan for people: one block per step, destructive ones marked, with the
// reason and the losses. "no changes" for an empty plan.
std::string format_plan(const DiskPlan& plan);

}  // namespace reconcile::disk
