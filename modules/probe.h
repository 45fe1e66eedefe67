#pragma once

// Facts in one round trip: every module contributes probe fragments; they
// run as one script and their output comes back as one stream, split here
// by section markers that carry a random per-run nonce, so nothing a probe
// prints (any bytes) can end or forge a section.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::modules {

struct ProbeFragment {
  std::string section;  // [a-z0-9-]+
  std::string script;   // sh code; its stdout is the section's text
};

struct SectionOutput {
  std::string text;
  int exit_code = 0;
};

// A fresh random nonce (32 hex characters).
std::string make_nonce();

// One script that runs every fragment in a subshell between markers.
std::string compose_probe(const std::vector<ProbeFragment>& fragments, std::string_view nonce);

// Splits the probe's stdout. kDataLoss when a section is missing or
// truncated (the host died mid-probe, or output was cut).
Result<std::map<std::string, SectionOutput>> split_probe(
    std::string_view output, std::string_view nonce, const std::vector<ProbeFragment>& fragments);

}  // namespace reconcile::modules
