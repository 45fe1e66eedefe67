#pragma once

// Throwaway disks for the disk host tests: loop devices over sparse image
// files in a temp dir, with a mount root beside them. Everything built on
// them (mounts, LUKS mappings, LVM volume groups, md arrays) is torn down,
// holders first, when the fixture goes away, also when a test fails; only
// nodes stacked on this fixture's own loop devices are touched. For the
// disk host tests only.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "disk-layouts/layout.h"
#include "disk-layouts/plan.h"
#include "disk-layouts/planner.h"

namespace reconcile::disk::testing {

// Runs `script` (with `set -eu`) and returns its stdout; a failure fails the
// test with the script and its stderr.
std::string sh(const std::string& script);

class LoopDisks {
 public:
  // `count` blank sparse images of `size` bytes, each on a loop device.
  explicit LoopDisks(int count = 1, uint64_t size = 4ull << 30);
  ~LoopDisks();
  LoopDisks(const LoopDisks&) = delete;
  LoopDisks& operator=(const LoopDisks&) = delete;

  // Unmounts everything under the mount root.
  void unmount_all();

  // A fingerprint of image `index`'s content: any write changes it.
  uint64_t checksum(size_t index = 0) const;

  DiskTarget target() const { return {m_devices, m_root}; }
  const std::string& device(size_t index = 0) const { return m_devices.at(index); }
  const std::vector<std::string>& devices() const { return m_devices; }
  const std::string& root() const { return m_root; }

 private:
  void tear_down_stacks();

  std::string m_dir, m_root;
  std::vector<std::string> m_images, m_devices;
  std::vector<int> m_fds;
};

// Whether this kernel can mount vfat; set once by main().
extern bool g_vfat_mounts;

// disk-layouts/<name>.yaml from the source tree; without vfat mounts, the
// ESP's mountpoint is dropped (it is still created, typed and labelled).
DiskLayout load_example(const std::string& name);

DiskPlan must_plan(const DiskLayout& layout, const DiskTarget& target);
void must_apply(const DiskPlan& plan, const std::map<std::string, std::string>& secrets = {});

}  // namespace reconcile::disk::testing
