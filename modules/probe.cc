#include "modules/probe.h"

#include <random>

#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::string make_nonce() {
  std::random_device random;
  std::string bytes;
  for (int i = 0; i < 4; ++i) {
    uint32_t word = random();
    bytes.append(reinterpret_cast<const char*>(&word), sizeof word);
  }
  return to_hex(bytes);
}

std::string compose_probe(const std::vector<ProbeFragment>& fragments, std::string_view nonce) {
  std::string script;
  for (const auto& fragment : fragments) {
    std::string marker = "@@reconcile-" + std::string(nonce);
    script += "printf '%s\\n' '" + marker + " begin " + fragment.section + "@@'\n";
    script += "probe_status=0\n(\n" + fragment.script + "\n) </dev/null || probe_status=$?\n";
    script +=
        "printf '\\n%s %s@@\\n' '" + marker + " end " + fragment.section + "' \"$probe_status\"\n";
  }
  return script;
}

Result<std::map<std::string, SectionOutput>> split_probe(
    std::string_view output, std::string_view nonce, const std::vector<ProbeFragment>& fragments) {
  std::map<std::string, SectionOutput> sections;
  std::string marker = "@@reconcile-" + std::string(nonce);
  size_t position = 0;
  for (const auto& fragment : fragments) {
    std::string begin = marker + " begin " + fragment.section + "@@\n";
    size_t start = output.find(begin, position);
    if (start == std::string_view::npos) {
      return data_loss("probe output lacks section '" + fragment.section + "'");
    }
    start += begin.size();
    std::string end = "\n" + marker + " end " + fragment.section + " ";
    size_t stop = output.find(end, start);
    if (stop == std::string_view::npos) {
      return data_loss("probe output of section '" + fragment.section + "' is truncated");
    }
    size_t status_start = stop + end.size();
    size_t status_end = output.find("@@\n", status_start);
    if (status_end == std::string_view::npos) {
      return data_loss("probe output of section '" + fragment.section + "' is truncated");
    }
    SectionOutput section;
    section.text = std::string(output.substr(start, stop - start));
    section.exit_code =
        std::atoi(std::string(output.substr(status_start, status_end - status_start)).c_str());
    sections[fragment.section] = std::move(section);
    position = status_end + 3;
  }
  return sections;
}

}  // namespace reconcile::modules
