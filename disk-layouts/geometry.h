#pragma once

// Where each partition of a layout goes on a device of a given size: starts
// and sizes in bytes and sectors, every start and size a multiple of 1 MiB.
// Also the partition type codes (GPT GUIDs, msdos ids) each PartitionType is
// written as. Pure.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "disk-layouts/layout.h"
#include "reconciler/base/result.h"

namespace reconcile::disk {

struct PartitionGeometry {
  int number = 0;
  uint64_t start = 0;  // bytes from the start of the device
  uint64_t size = 0;   // bytes
};

// The first usable byte is 1 MiB (the space before holds the MBR, the GPT
// header and entries, or GRUB's embedding area on msdos). The last usable
// byte leaves room for the backup GPT (33 sectors of 512 bytes, or 6 of 4096)
// and is rounded down to 1 MiB.
struct UsableSpace {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  uint64_t size() const { return end > start ? end - start : 0; }
};
UsableSpace usable_space(TableType table, uint64_t device_bytes, uint32_t sector_size);

// Lays the partitions out in order. Percentages are of the usable space and
// rounded down to 1 MiB; `rest` takes what the others leave. Fails with
// kFailedPrecondition, naming the figures, when the partitions do not fit or
// msdos cannot address the device (2 TiB with 512-byte sectors).
Result<std::vector<PartitionGeometry>> layout_geometry(const DiskLayout& layout,
                                                       uint64_t device_bytes, uint32_t sector_size);

// The type code sfdisk writes and reports: an upper-case GPT type GUID, or a
// two-digit lower-case msdos id ("83").
std::string_view partition_type_code(TableType table, PartitionType type);

// A human name for a type code as found on a disk ("EFI System", "Linux
// filesystem"), or the code itself when unknown.
std::string describe_type_code(std::string_view code);

}  // namespace reconcile::disk
