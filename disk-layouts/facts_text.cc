#include "disk-layouts/facts_text.h"

#include "reconciler/base/strings.h"

namespace reconcile::disk {

namespace {

constexpr std::string_view kMarker = "@@disk ";

}  // namespace

std::optional<uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

std::string unescape_blkid(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

Result<std::vector<ProbeSection>> split_probe_sections(std::string_view output) {
  std::vector<ProbeSection> sections;
  bool inside = false, ended = false;
  int number = 0;
  for (const std::string& line : split(output, '\n')) {
    ++number;
    if (!inside) {
      inside = line == "@@disk begin 1";
      continue;
    }
    if (line == "@@disk end") {
      ended = true;
      break;
    }
    if (starts_with(line, kMarker)) {
      std::string rest = line.substr(kMarker.size());
      size_t space = rest.find(' ');
      ProbeSection section;
      section.kind = rest.substr(0, space);
      if (space != std::string::npos) section.argument = rest.substr(space + 1);
      section.line_number = number;
      sections.push_back(std::move(section));
    } else if (!line.empty() && line[0] == '|' && !sections.empty()) {
      sections.back().lines.push_back(line.substr(1));
    } else {
      return data_loss("disk probe output line " + std::to_string(number) +
                       " is neither a marker nor payload");
    }
  }
  if (!inside) return data_loss("disk probe output has no '@@disk begin 1' line");
  if (!ended) return data_loss("disk probe output is cut short (no '@@disk end' line)");
  return sections;
}

Status parse_mountinfo(const std::vector<std::string>& lines, std::vector<MountEntry>& mounts) {
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> parts = words_of(lines[i]);
    size_t separator = 0;
    for (size_t j = 6; j < parts.size(); ++j) {
      if (parts[j] == "-") {
        separator = j;
        break;
      }
    }
    if (parts.size() < 10 || separator == 0 || separator + 2 >= parts.size()) {
      return data_loss("disk probe: mountinfo line " + std::to_string(i + 1) + " is malformed");
    }
    MountEntry mount;
    mount.maj_min = parts[2];
    mount.root = unescape_octal(parts[3]);
    mount.target = unescape_octal(parts[4]);
    mount.options = parts[5];
    mount.fstype = parts[separator + 1];
    mount.source = unescape_octal(parts[separator + 2]);
    mounts.push_back(std::move(mount));
  }
  return ok();
}

Status parse_swaps(const std::vector<std::string>& lines, std::vector<std::string>& swaps) {
  for (size_t i = 1; i < lines.size(); ++i) {  // line 1 is the header
    std::vector<std::string> parts = words_of(lines[i]);
    if (!parts.empty()) swaps.push_back(unescape_octal(parts[0]));
  }
  return ok();
}

Status parse_fstab(const std::vector<std::string>& lines, std::vector<FstabEntry>& entries) {
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts = words_of(line);
    FstabEntry entry;
    entry.line = static_cast<int>(i + 1);
    if (parts.size() < 3) continue;  // not ours to judge; mount(8) will complain
    entry.spec = unescape_octal(parts[0]);
    entry.file = unescape_octal(parts[1]);
    entry.vfstype = parts[2];
    entry.options = parts.size() > 3 ? parts[3] : "defaults";
    entry.freq = parts.size() > 4 ? parts[4] : "0";
    entry.passno = parts.size() > 5 ? parts[5] : "0";
    entries.push_back(std::move(entry));
  }
  return ok();
}

}  // namespace reconcile::disk
