#pragma once

// Line-level parsing of the disk probe's output: the marker/payload framing
// and the text formats of /proc/self/mountinfo, /proc/swaps, /etc/fstab and
// `blkid -o export`. Internal to facts.cc; exposed for its unit tests.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "disk-layouts/facts.h"

namespace reconcile::disk {

// One "@@disk KIND [ARGUMENT]" marker and the payload lines after it (with
// the '|' prefix removed).
struct ProbeSection {
  std::string kind;
  std::string argument;
  std::vector<std::string> lines;
  int line_number = 0;  // of the marker in the output, for messages
};

// Splits the output between "@@disk begin 1" and "@@disk end" into
// sections. Lines outside that frame are ignored (other modules' output);
// a missing end, or a stray line inside, is kDataLoss.
Result<std::vector<ProbeSection>> split_probe_sections(std::string_view output);

Status parse_mountinfo(const std::vector<std::string>& lines, std::vector<MountEntry>& mounts);
Status parse_swaps(const std::vector<std::string>& lines, std::vector<std::string>& swaps);
Status parse_fstab(const std::vector<std::string>& lines, std::vector<FstabEntry>& entries);

// Undoes `blkid -o export` escapes (a backslash before a special character).
std::string unescape_blkid(std::string_view text);
// A non-negative decimal number that fits in 63 bits, else nullopt.
std::optional<uint64_t> parse_decimal(std::string_view text);

}  // namespace reconcile::disk
