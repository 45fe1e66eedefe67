#pragma once

// What a host's disks look like, as plain structs, and the probe that gathers
// it. The probe is a POSIX sh fragment for Debian (util-linux's lsblk, sfdisk
// and blkid); its output is parsed here into DiskFacts. Gathering runs on the
// host through the transport; everything in this header is pure.
//
// Sources, and why each: `sfdisk -J` for the partition table (exact starts and
// sizes in sectors, type codes, GPT names: lsblk cannot give these without a
// udev database); `blkid -p` (low-level probe, no cache) for the signature on
// every node, which also reports ambiguous signatures; `lsblk -J -b -O` for
// the tree of nodes below each device (partitions, dm-crypt, LVM, md) with
// their major:minor numbers; /proc/self/mountinfo and /proc/swaps for what is
// in use; <mount_root>/etc/fstab for the entries this layout manages.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::disk {

// A filesystem or container signature found by `blkid -p` on one node.
struct Signature {
  std::string type;         // TYPE: ext4, xfs, btrfs, vfat, swap, crypto_LUKS, LVM2_member, ...
  std::string uuid;         // UUID
  std::string label;        // LABEL
  std::string pttype;       // PTTYPE when the node holds a partition table
  bool ambivalent = false;  // blkid found several signatures and would not choose

  bool empty() const { return type.empty() && pttype.empty() && !ambivalent; }
};

// One partition table entry, from sfdisk.
struct PartitionEntry {
  int number = 0;
  std::string node;    // "/dev/sda1" as sfdisk names it
  uint64_t start = 0;  // bytes
  uint64_t size = 0;   // bytes
  std::string type;    // GPT type GUID (upper case) or msdos id ("83")
  std::string name;    // GPT partition name
  std::string uuid;    // GPT partition UUID
};

// A node of the block device tree below a device, from lsblk.
struct BlockNode {
  std::string path;     // "/dev/sda1", "/dev/mapper/cryptroot", "/dev/md127"
  std::string kind;     // lsblk TYPE: disk, part, loop, crypt, lvm, raid1, ...
  std::string maj_min;  // "8:1"
  uint64_t size = 0;
  std::string parent;                 // path of the node it sits on; empty for the device
  std::vector<std::string> children;  // paths of the nodes on top of it (holders)
  Signature signature;                // from blkid -p
  int blkid_status = -1;              // blkid's exit code: 0 found, 2 nothing, 8 ambivalent
};

struct DeviceFacts {
  std::string device;  // as the layout's host names it
  bool exists = false;
  uint64_t size = 0;           // bytes
  uint32_t sector_size = 512;  // logical sector size
  std::string table;           // "gpt", "dos", or empty when sfdisk found none
  std::vector<PartitionEntry> partitions;
  std::vector<BlockNode> nodes;  // the device first, then everything below it

  const BlockNode* find_node(std::string_view path) const;
};

struct MountEntry {
  std::string maj_min;  // of the mounted device (btrfs shows an anonymous 0:N)
  std::string root;     // the path inside the filesystem ("/@home" for a subvolume)
  std::string target;   // the mountpoint
  std::string fstype;
  std::string source;  // "/dev/sda1"
  std::string options;
};

struct FstabEntry {
  int line = 0;
  std::string spec;  // "UUID=...", "/dev/sda1", "LABEL=..."
  std::string file;  // the mountpoint, or "none" for swap
  std::string vfstype;
  std::string options;
  std::string freq;
  std::string passno;
};

struct DiskFacts {
  std::vector<DeviceFacts> devices;  // in the order the probe was asked for
  std::vector<MountEntry> mounts;    // in mount order: a later one hides an earlier one
  std::vector<std::string> swaps;    // active swap devices or files, from /proc/swaps
  bool fstab_exists = false;
  std::vector<FstabEntry> fstab;  // of <mount_root>/etc/fstab

  const DeviceFacts* find_device(std::string_view device) const;
  // The mount currently visible at `target` (the last one mounted there).
  const MountEntry* mount_at(std::string_view target) const;
};

// The probe fragment for `devices` and the fstab under `mount_root`. Every
// value reaches the shell through shell_quote. Read-only: it changes nothing
// on the host. Output lines are either markers ("@@disk ...") or payload
// prefixed with '|', so no file content can forge a marker.
std::string disk_probe_script(const std::vector<std::string>& devices,
                              const std::string& mount_root);

// Parses the probe's output. Fails with kDataLoss (naming the section and
// line) when the output is cut short or malformed; never crashes on hostile
// input.
Result<DiskFacts> parse_disk_facts(std::string_view output);

// Joins mount_root and an absolute mountpoint: ("/mnt", "/boot") -> "/mnt/boot",
// ("/", "/boot") -> "/boot", ("/mnt", "/") -> "/mnt".
std::string under_root(const std::string& mount_root, const std::string& mountpoint);

}  // namespace reconcile::disk
