#pragma once

// Preflight: what the machine to be bootstrapped is, gathered in one round
// trip from whatever runs on it (a provider's rescue system, its stock image,
// or our installer): architecture, memory, boot mode, the tools present, the
// network, root's authorized keys and the target disks (the disk planner's
// own probe, with mount_root /mnt). Building the probe and parsing its
// output are pure; running it is the runner's job.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "disk-layouts/facts.h"
#include "modules/probe.h"
#include "reconciler/base/result.h"
#include "reconciler/bootstrap/network.h"

namespace reconcile::bootstrap {

struct MachineFacts {
  std::string machine;    // uname -m: x86_64, aarch64
  std::string arch;       // the Debian architecture: amd64, arm64; empty if unsupported
  std::string boot_mode;  // "uefi" or "bios"
  std::string init;       // the name of PID 1: systemd, init, sh, ...
  std::string hostname;
  std::string os;  // PRETTY_NAME of the running system
  uint64_t memory_bytes = 0;
  uint64_t memory_available_bytes = 0;
  int uid = -1;
  std::set<std::string> tools;  // commands found on PATH, from the asked-for list
  std::string authorized_keys;  // the login user's ~/.ssh/authorized_keys
  NetworkFacts network;
  disk::DiskFacts disks;
};

// The probe fragments for `devices` (the host's disk.devices), read-only.
std::vector<modules::ProbeFragment> preflight_fragments(const std::vector<std::string>& devices);

// Parses the sections of a run of those fragments. Errors: kDataLoss for
// output that cannot be parsed (naming the section), kFailedPrecondition for
// a machine that has no usable network interface.
Result<MachineFacts> parse_preflight(const std::map<std::string, modules::SectionOutput>& sections);

// How the target disks are used by the running system. Mounts under
// `mount_root` (left by an earlier bootstrap attempt) do not count: the
// bootstrap unmounts them itself.
struct DiskUse {
  bool holds_running_system = false;  // "/" is on one of the devices
  std::vector<std::string> uses;      // "/ (/dev/sda1)", "swap /dev/sda2", ...
};
DiskUse target_disk_use(const disk::DiskFacts& facts, const std::vector<std::string>& devices,
                        const std::string& mount_root);

// The same facts as the installer will see them after kexec: nothing on the
// target disks mounted or swapped on. Used to show the disk plan of a run
// that starts with kexec.
disk::DiskFacts without_running_system(disk::DiskFacts facts,
                                       const std::vector<std::string>& devices);

// The commands the preflight looks for.
const std::vector<std::string>& probed_tools();

}  // namespace reconcile::bootstrap
