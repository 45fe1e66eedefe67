#pragma once

// Builders for the shell scripts of disk plan steps. Every value from a
// layout or from facts reaches a script through shell_quote; node paths that
// exist only once a step has run (a new partition) are resolved in the script
// itself with rd_part, which reads sysfs instead of guessing names. Pure.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "disk-layouts/geometry.h"
#include "disk-layouts/layout.h"

namespace reconcile::disk {

// `set -eu` and the helpers every step script may use: rd_settle (udevadm
// settle when udev runs, so machines without udev still work), rd_lvm
// COMMAND ARGS (an LVM command that creates its own device nodes when udev
// does not run) and rd_part DEVICE NUMBER (prints the node of that partition
// once the kernel has it, waiting up to 10 seconds, else fails).
std::string script_preamble();

// Run after every sfdisk write: waits for udev, and makes the kernel's
// partitions match the table with `partx -u` (needed where the kernel does
// not parse tables itself; harmless elsewhere). `quoted_device` is already
// shell-quoted.
std::string sync_partitions(const std::string& quoted_device);

// The sfdisk input that writes `layout`'s table with the given geometry:
// explicit starts and sizes in sectors, type codes, GPT names.
std::string sfdisk_script(const DiskLayout& layout, const std::vector<PartitionGeometry>& geometry,
                          uint32_t sector_size);

// A shell word that expands, at run time, to partition `number` of `device`.
std::string partition_word(const std::string& device, int number);

// The node path a filesystem inside these containers gets.
std::string mapper_path(const std::string& mapper);
std::string logical_volume_path(const std::string& group, const std::string& volume);
std::string raid_array_path(const std::string& array);

// Accumulates the commands that create a layout's contents on fresh block
// devices: mkfs, LUKS format and open, pvcreate/vgcreate/lvcreate, mdadm.
class CreationScript {
 public:
  explicit CreationScript(const DiskLayout& layout) : m_layout(layout) {}

  // Wipes the signatures of `old_nodes` and of `device`, writes the table
  // from `sfdisk_input`, and makes the kernel see the new partitions.
  void partition_device(const std::string& device, const std::vector<std::string>& old_nodes,
                        const std::string& sfdisk_input);
  // Wipes the signatures on one existing node before it is reformatted.
  void wipe_node(const std::string& node);
  // Creates what `content` declares on the node `node_word` expands to. RAID
  // and LVM memberships are collected for finish_stacks().
  void create_content(const Content& content, const std::string& node_word, bool esp);
  // Creates the arrays and volume groups whose members create_content saw,
  // and what they hold.
  void finish_stacks();

  // The whole script, preamble first. When a LUKS key is needed the script
  // reads it from stdin into a private tmpfs file; secret() names it.
  std::string script() const;
  const std::optional<std::string>& secret() const { return m_secret; }

 private:
  std::string next_variable();

  const DiskLayout& m_layout;
  std::string m_body;
  int m_variables = 0;
  std::optional<std::string> m_secret;
  std::map<std::string, std::vector<std::string>> m_group_members;
  std::map<std::string, std::vector<std::string>> m_array_members;
};

// The commands that create `filesystem` on `node_word` (and its btrfs
// subvolumes). An ESP gets FAT32.
std::string mkfs_commands(const Filesystem& filesystem, const std::string& node_word, bool esp);

// Mounts `node_word` at `target`, creating the directory; refuses at run
// time when `target` is already a mountpoint. For a btrfs subvolume, creates
// it first when missing.
std::string mount_script(const std::string& node_word, const std::string& target,
                         const std::string& fstype, const std::vector<std::string>& options,
                         const std::optional<std::string>& subvolume);

// Replaces the fstab entry for `file` (or, for swap, the one with the node's
// UUID) in `fstab_path` by one naming the node's UUID, written to a temp file
// and renamed.
std::string fstab_script(const std::string& node_word, const std::string& fstab_path,
                         const std::string& file, const std::string& fstype,
                         const std::string& options, const std::string& passno);

// Sets a filesystem's label in place; `mounted_at` is used by xfs, which
// cannot relabel a mounted filesystem through its device.
std::string label_script(FsType type, const std::string& node, const std::string& label,
                         const std::optional<std::string>& mounted_at);

// fstab fields for a filesystem: options ("defaults" when none) and passno.
std::string fstab_options(const std::vector<std::string>& options,
                          const std::optional<std::string>& subvolume);
std::string fstab_passno(FsType type, const std::string& mountpoint);

}  // namespace reconcile::disk
