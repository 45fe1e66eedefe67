#include "disk-layouts/geometry.h"

#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

struct TypeCode {
  PartitionType type;
  std::string_view gpt;
  std::string_view msdos;
  std::string_view human;
};

constexpr TypeCode kTypeCodes[] = {
    {PartitionType::kBiosBoot, "21686148-6449-6E6F-744E-656564454649", "", "BIOS boot"},
    {PartitionType::kEsp, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "ef", "EFI System"},
    {PartitionType::kLinux, "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "83", "Linux filesystem"},
    {PartitionType::kSwap, "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "82", "Linux swap"},
    {PartitionType::kLvm, "E6D6D379-F507-44C2-A23C-238F2A3DF928", "8e", "Linux LVM"},
    {PartitionType::kRaid, "A19D880F-05FC-4D3B-A006-743F0F84911E", "fd", "Linux RAID"},
};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace

UsableSpace usable_space(TableType table, uint64_t device_bytes, uint32_t sector_size) {
  uint64_t reserved_tail = 0;
  if (table == TableType::kGpt) {
    // Backup header (one sector) plus 128 entries of 128 bytes.
    uint64_t sector = sector_size ? sector_size : 512;
    reserved_tail = sector + (16384 + sector - 1) / sector * sector;
  }
  UsableSpace space;
  space.start = kMiB;
  space.end = device_bytes > reserved_tail ? align_down(device_bytes - reserved_tail, kMiB) : 0;
  return space;
}

Result<std::vector<PartitionGeometry>> layout_geometry(const DiskLayout& layout,
                                                       uint64_t device_bytes,
                                                       uint32_t sector_size) {
  UsableSpace space = usable_space(layout.table, device_bytes, sector_size);
  if (layout.table == TableType::kMsdos &&
      device_bytes / (sector_size ? sector_size : 512) > 0xFFFFFFFFull) {
    return failed_precondition("the device (" + format_bytes(device_bytes) +
                               ") is larger than an msdos partition table can address; use "
                               "table: gpt");
  }
  uint64_t fixed = 0;
  std::vector<uint64_t> sizes;
  for (const Partition& partition : layout.partitions) {
    uint64_t size = 0;
    if (partition.size.kind == Size::Kind::kBytes) size = partition.size.bytes;
    if (partition.size.kind == Size::Kind::kPercent) {
      size = align_down(space.size() / 100 * static_cast<uint64_t>(partition.size.percent), kMiB);
    }
    fixed += size;
    sizes.push_back(size);
  }
  bool has_rest = false;
  for (const Partition& partition : layout.partitions)
    has_rest |= partition.size.is_rest();
  uint64_t needed = fixed + (has_rest ? kMiB : 0);
  if (needed > space.size()) {
    return failed_precondition("the partitions need " + format_bytes(needed) +
                               (has_rest ? " (with at least 1 MiB for 'rest')" : "") +
                               " but the device offers " + format_bytes(space.size()) + " (" +
                               format_bytes(device_bytes) + " in all)");
  }
  std::vector<PartitionGeometry> out;
  uint64_t offset = space.start;
  for (size_t i = 0; i < layout.partitions.size(); ++i) {
    uint64_t size = layout.partitions[i].size.is_rest() ? space.size() - fixed : sizes[i];
    out.push_back({layout.partitions[i].number, offset, size});
    offset += size;
  }
  return out;
}

std::string_view partition_type_code(TableType table, PartitionType type) {
  for (const TypeCode& code : kTypeCodes) {
    if (code.type == type) return table == TableType::kGpt ? code.gpt : code.msdos;
  }
  return "";
}

std::string describe_type_code(std::string_view code) {
  std::string wanted = upper(code);
  for (const TypeCode& known : kTypeCodes) {
    if (wanted == known.gpt || (!known.msdos.empty() && wanted == upper(known.msdos))) {
      return std::string(known.human);
    }
  }
  return std::string(code);
}

}  // namespace reconcile::disk
