#include "disk-layouts/size.h"

#include <cstdio>

namespace reconcile::disk {

namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

constexpr Unit kUnits[] = {{"KiB", 1024}, {"MiB", kMiB}, {"GiB", kGiB}, {"TiB", 1024 * kGiB}};

// Decimal or abbreviated units that people write by habit; each maps to the
// binary unit we suggest instead.
constexpr std::pair<std::string_view, std::string_view> kHabitUnits[] = {
    {"K", "KiB"},  {"M", "MiB"},  {"G", "GiB"},  {"T", "TiB"}, {"KB", "KiB"}, {"MB", "MiB"},
    {"GB", "GiB"}, {"TB", "TiB"}, {"k", "KiB"},  {"m", "MiB"}, {"g", "GiB"},  {"t", "TiB"},
    {"kB", "KiB"}, {"Mi", "MiB"}, {"Gi", "GiB"}, {"Ti", "TiB"}};

// Parses leading decimal digits; nullopt on none or on overflow past 2^40.
std::optional<uint64_t> leading_number(std::string_view text, size_t& used) {
  uint64_t value = 0;
  used = 0;
  while (used < text.size() && text[used] >= '0' && text[used] <= '9') {
    value = value * 10 + static_cast<uint64_t>(text[used] - '0');
    if (value > (uint64_t{1} << 40)) return std::nullopt;
    ++used;
  }
  if (used == 0) return std::nullopt;
  return value;
}

}  // namespace

std::string Size::to_string() const {
  switch (kind) {
    case Kind::kRest:
      return "rest";
    case Kind::kPercent:
      return std::to_string(percent) + "%";
    case Kind::kBytes:
      if (bytes % (1024 * kGiB) == 0) return std::to_string(bytes / (1024 * kGiB)) + "TiB";
      if (bytes % kGiB == 0) return std::to_string(bytes / kGiB) + "GiB";
      return std::to_string(bytes / kMiB) + "MiB";
  }
  return "?";
}

std::optional<Size> parse_size(std::string_view text, std::string& error) {
  static const std::string kHint =
      "use a whole number with KiB, MiB, GiB or TiB (512MiB, 20GiB), a percentage (25%) or rest";
  if (text == "rest") return Size{};
  size_t used = 0;
  std::optional<uint64_t> number = leading_number(text, used);
  if (!number) {
    error = "is not a size: " + kHint;
    return std::nullopt;
  }
  std::string_view unit = text.substr(used);
  if (unit == "%") {
    if (*number < 1 || *number > 100) {
      error = "a percentage must be between 1% and 100%";
      return std::nullopt;
    }
    return Size{Size::Kind::kPercent, 0, static_cast<int>(*number)};
  }
  for (const Unit& candidate : kUnits) {
    if (unit != candidate.suffix) continue;
    uint64_t bytes = *number * candidate.factor;
    if (bytes == 0 || bytes % kMiB != 0) {
      error = "is not a whole, non-zero number of MiB (partitions are aligned to 1 MiB)";
      return std::nullopt;
    }
    return Size{Size::Kind::kBytes, bytes, 0};
  }
  for (const auto& [habit, binary] : kHabitUnits) {
    if (unit == habit) {
      error = "has no binary unit; did you mean '" + std::to_string(*number) + std::string(binary) +
              "'? (sizes are binary: 1GiB = 1024MiB)";
      return std::nullopt;
    }
  }
  error = "has an unknown unit '" + std::string(unit) + "': " + kHint;
  return std::nullopt;
}

std::string format_bytes(uint64_t bytes) {
  if (bytes < kMiB || bytes % kMiB != 0) {
    if (bytes >= kMiB) {
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, "%.1f MiB", static_cast<double>(bytes) / kMiB);
      return buffer;
    }
    return std::to_string(bytes) + " B";
  }
  if (bytes < kGiB) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes % kGiB == 0) return std::to_string(bytes / kGiB) + " GiB";
  // Exact MiB first, so a plan names sizes precisely; GiB to read it at a glance.
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%llu MiB (%.1f GiB)",
                static_cast<unsigned long long>(bytes / kMiB), static_cast<double>(bytes) / kGiB);
  return buffer;
}

}  // namespace reconcile::disk
