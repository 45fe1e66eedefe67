#include "disk-layouts/size.h"

#include <doctest/doctest.h>

#include "disk-layouts/geometry.h"

namespace reconcile::disk {
namespace {

Size must_parse(std::string_view text) {
  std::string error;
  std::optional<Size> size = parse_size(text, error);
  REQUIRE_MESSAGE(size.has_value(), error);
  return *size;
}

std::string parse_error(std::string_view text) {
  std::string error;
  CHECK_FALSE(parse_size(text, error).has_value());
  return error;
}

TEST_CASE("sizes parse into bytes, percentages and rest") {
  CHECK(must_parse("1MiB").bytes == kMiB);
  CHECK(must_parse("512MiB").bytes == 512 * kMiB);
  CHECK(must_parse("20GiB").bytes == 20 * kGiB);
  CHECK(must_parse("2TiB").bytes == 2048 * kGiB);
  CHECK(must_parse("2048KiB").bytes == 2 * kMiB);
  CHECK(must_parse("25%").percent == 25);
  CHECK(must_parse("rest").is_rest());
  CHECK(must_parse("20GiB").to_string() == "20GiB");
  CHECK(must_parse("1536MiB").to_string() == "1536MiB");
}

TEST_CASE("bad sizes say what is wrong") {
  CHECK(parse_error("20G").find("did you mean '20GiB'") != std::string::npos);
  CHECK(parse_error("512MB").find("did you mean '512MiB'") != std::string::npos);
  CHECK(parse_error("0MiB").find("non-zero") != std::string::npos);
  CHECK(parse_error("100KiB").find("whole") != std::string::npos);
  CHECK(parse_error("0%").find("between 1% and 100%") != std::string::npos);
  CHECK(parse_error("101%").find("between") != std::string::npos);
  CHECK(parse_error("").find("not a size") != std::string::npos);
  CHECK(parse_error("-1MiB").find("not a size") != std::string::npos);
  CHECK(parse_error("1.5GiB").find("unknown unit") != std::string::npos);
  CHECK(parse_error("99999999999999999999GiB").find("not a size") != std::string::npos);
  CHECK(parse_error("REST").find("not a size") != std::string::npos);
}

TEST_CASE("format_bytes is exact in MiB") {
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(kMiB) == "1 MiB");
  CHECK(format_bytes(20 * kGiB) == "20 GiB");
  CHECK(format_bytes(3581 * kMiB) == "3581 MiB (3.5 GiB)");
}

DiskLayout layout_of(TableType table, std::vector<Size> sizes) {
  DiskLayout layout;
  layout.table = table;
  int number = 0;
  for (const Size& size : sizes) {
    Partition partition;
    partition.number = ++number;
    partition.size = size;
    layout.partitions.push_back(partition);
  }
  return layout;
}

TEST_CASE("gpt geometry on a 4 GiB disk: 1 MiB aligned, backup GPT kept free") {
  DiskLayout layout =
      layout_of(TableType::kGpt, {must_parse("1MiB"), must_parse("512MiB"), must_parse("rest")});
  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4 * kGiB, 512);
  REQUIRE(geometry.has_value());
  REQUIRE(geometry->size() == 3);
  CHECK((*geometry)[0].start == kMiB);
  CHECK((*geometry)[0].size == kMiB);
  CHECK((*geometry)[1].start == 2 * kMiB);
  CHECK((*geometry)[1].size == 512 * kMiB);
  CHECK((*geometry)[2].start == 514 * kMiB);
  // 4096 MiB - 1 MiB head - the last MiB that holds the backup GPT.
  CHECK((*geometry)[2].size == 3581 * kMiB);
  for (const PartitionGeometry& part : *geometry) {
    CHECK(part.start % kMiB == 0);
    CHECK(part.size % kMiB == 0);
  }
}

TEST_CASE("msdos geometry uses the disk up to its last whole MiB") {
  DiskLayout layout = layout_of(TableType::kMsdos, {must_parse("1GiB"), must_parse("rest")});
  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4 * kGiB + 12345, 512);
  REQUIRE(geometry.has_value());
  CHECK((*geometry)[1].start == 1025 * kMiB);
  CHECK((*geometry)[1].size == (4096 - 1025) * kMiB);
}

TEST_CASE("percentages are of the usable space, rounded down to 1 MiB; rest may sit between") {
  DiskLayout layout =
      layout_of(TableType::kGpt, {must_parse("25%"), must_parse("rest"), must_parse("1GiB")});
  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4 * kGiB, 512);
  REQUIRE(geometry.has_value());
  uint64_t usable = 4094 * kMiB;
  CHECK((*geometry)[0].size == align_down(usable / 100 * 25, kMiB));
  CHECK((*geometry)[2].size == kGiB);
  CHECK((*geometry)[2].start + (*geometry)[2].size == 4095 * kMiB);
  CHECK((*geometry)[0].size + (*geometry)[1].size + (*geometry)[2].size == usable);
}

TEST_CASE("4096-byte sectors reserve less at the end") {
  UsableSpace space = usable_space(TableType::kGpt, 4 * kGiB, 4096);
  CHECK(space.start == kMiB);
  CHECK(space.end == 4095 * kMiB);
}

TEST_CASE("sizes that do not fit name the figures") {
  DiskLayout layout = layout_of(TableType::kGpt, {must_parse("3GiB"), must_parse("2GiB")});
  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4 * kGiB, 512);
  REQUIRE_FALSE(geometry.has_value());
  CHECK(geometry.error().code() == ErrorCode::kFailedPrecondition);
  CHECK(geometry.error().message() ==
        "the partitions need 5 GiB but the device offers 4094 MiB (4.0 GiB) (4 GiB in all)");
  DiskLayout with_rest = layout_of(TableType::kGpt, {must_parse("4094MiB"), must_parse("rest")});
  CHECK_FALSE(layout_geometry(with_rest, 4 * kGiB, 512).has_value());
}

TEST_CASE("msdos cannot address more than 2 TiB") {
  DiskLayout layout = layout_of(TableType::kMsdos, {must_parse("rest")});
  CHECK_FALSE(layout_geometry(layout, 3 * 1024 * kGiB, 512).has_value());
  CHECK(layout_geometry(layout, 1024 * kGiB, 512).has_value());
}

TEST_CASE("partition type codes") {
  CHECK(partition_type_code(TableType::kGpt, PartitionType::kEsp) ==
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
  CHECK(partition_type_code(TableType::kMsdos, PartitionType::kSwap) == "82");
  CHECK(describe_type_code("c12a7328-f81f-11d2-ba4b-00a0c93ec93b") == "EFI System");
  CHECK(describe_type_code("83") == "Linux filesystem");
  CHECK(describe_type_code("1234") == "1234");
}

}  // namespace
}  // namespace reconcile::disk
