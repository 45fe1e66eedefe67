#pragma once

// Sizes as a disk layout writes them ("1MiB", "20GiB", "25%", "rest") and the
// arithmetic that turns them into byte counts on a concrete device. Pure; no
// host is touched.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace reconcile::disk {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint64_t kGiB = 1024 * kMiB;

struct Size {
  enum class Kind { kBytes, kPercent, kRest };
  Kind kind = Kind::kRest;
  uint64_t bytes = 0;  // kBytes: a whole number of MiB
  int percent = 0;     // kPercent: 1..100, of the space the parent offers

  bool is_rest() const { return kind == Kind::kRest; }
  // "512MiB", "25%", "rest": the canonical spelling.
  std::string to_string() const;
};

// Parses a size. Accepts a whole number with KiB, MiB, GiB or TiB that is a
// multiple of 1 MiB (partitions are 1 MiB aligned), "N%" with N in 1..100, and
// "rest". On failure returns nullopt and sets `error` to a sentence that can
// follow "size 'x': " (with a did-you-mean for "20G" or "20GB").
std::optional<Size> parse_size(std::string_view text, std::string& error);

// "512 MiB", "20 GiB", "3581 MiB (3.5 GiB)", "4096 B": for plans and messages.
std::string format_bytes(uint64_t bytes);

// Rounds down to a multiple of `alignment` (> 0).
inline uint64_t align_down(uint64_t value, uint64_t alignment) {
  return value / alignment * alignment;
}

}  // namespace reconcile::disk
