// Relevant facts of the disk module. The planner reads the declared devices
// whole (tables, partitions, every node and signature under them), the
// fstab under the mount root, and of the system's mounts and swaps only
// those that involve a node of the declared devices or a mountpoint the
// layout wants. A tmpfs mounted somewhere else, or a swap file, cannot
// change a disk plan.

#include <set>

#include "reconciler/facts_hash_text.h"

namespace reconcile {

namespace {

void add_mountpoints(const disk::Content& content, std::set<std::string>& out) {
  if (!content.filesystem) return;
  if (content.filesystem->mountpoint) out.insert(*content.filesystem->mountpoint);
  for (const auto& subvolume : content.filesystem->subvolumes) {
    if (subvolume.mountpoint) out.insert(*subvolume.mountpoint);
  }
}

// Where the layout mounts things, under the mount root.
std::set<std::string> wanted_targets(const state::DiskAssignment& assignment) {
  std::set<std::string> mountpoints;
  const disk::DiskLayout& layout = *assignment.model;
  for (const auto& partition : layout.partitions)
    add_mountpoints(partition.content, mountpoints);
  for (const auto& group : layout.volume_groups) {
    for (const auto& volume : group.logical_volumes)
      add_mountpoints(volume.content, mountpoints);
  }
  for (const auto& array : layout.raid_arrays)
    add_mountpoints(array.content, mountpoints);
  std::set<std::string> targets;
  for (const auto& mountpoint : mountpoints)
    targets.insert(disk::under_root(assignment.mount_root, mountpoint));
  return targets;
}

std::string device_text(const disk::DeviceFacts& device) {
  FactText text;
  text.flag("exists", device.exists)
      .add("size", std::to_string(device.size))
      .add("sector_size", std::to_string(device.sector_size))
      .add("table", device.table);
  for (const auto& p : device.partitions) {
    text.add("partition", std::to_string(p.number) + " " + p.node + " " + std::to_string(p.start) +
                              " " + std::to_string(p.size) + " " + p.type + " " + p.name + " " +
                              p.uuid);
  }
  for (const auto& node : device.nodes) {
    const disk::Signature& s = node.signature;
    text.add("node",
             node.path + " " + node.kind + " " + node.maj_min + " " + std::to_string(node.size) +
                 " parent=" + node.parent + " children=" + join(node.children, ",") +
                 " blkid=" + std::to_string(node.blkid_status) + " " + s.type + " " + s.uuid + " " +
                 s.label + " " + s.pttype + (s.ambivalent ? " ambivalent" : ""));
  }
  return text.text();
}

}  // namespace

void collect_disk(const state::Host& host, const modules::HostFacts& facts,
                  const secrets::SecretStore*, RelevantFacts& out) {
  if (!host.disk || !host.disk->model) return;
  if (!facts.disk) {
    out["disk"] = FactText().flag("probed", false).text();
    return;
  }
  std::set<std::string> nodes, majors;
  for (const auto& device : facts.disk->devices) {
    out["disk " + device.device] = device_text(device);
    for (const auto& node : device.nodes) {
      nodes.insert(node.path);
      if (!node.maj_min.empty()) majors.insert(node.maj_min);
    }
  }
  std::set<std::string> targets = wanted_targets(*host.disk);
  FactText mounts;
  for (const auto& mount : facts.disk->mounts) {
    if (nodes.count(mount.source) > 0 || majors.count(mount.maj_min) > 0 ||
        targets.count(mount.target) > 0) {
      mounts.add("mount", mount.maj_min + " " + mount.root + " " + mount.target + " " +
                              mount.fstype + " " + mount.source + " " + mount.options);
    }
  }
  for (const auto& swap : facts.disk->swaps) {
    if (nodes.count(swap) > 0) mounts.add("swap", swap);
  }
  out["disk mounts"] = mounts.text();
  FactText fstab;
  fstab.flag("exists", facts.disk->fstab_exists);
  for (const auto& e : facts.disk->fstab) {
    fstab.add("line", e.spec + " " + e.file + " " + e.vfstype + " " + e.options + " " + e.freq +
                          " " + e.passno);
  }
  out["disk fstab"] = fstab.text();
}

}  // namespace reconcile
