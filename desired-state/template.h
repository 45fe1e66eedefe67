#pragma once

// File templating, deliberately small: `{{ host.name }}`, `{{ host.address }}`
// and `{{ vars.NAME }}` (from the merged `vars:` map), with optional spaces
// inside the braces. Nothing else: no logic, no filters. An unknown variable
// or a malformed tag is a load-time error.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "reconciler/base/diagnostics.h"

namespace reconcile::state {

struct TemplateContext {
  std::string host_name;
  std::string host_address;
  const std::map<std::string, std::string>* vars = nullptr;
};

// Renders `text`. When `text_file` is set, errors point at the tag's line and
// column in that file; otherwise at `fallback`. Returns nullopt on any error
// (all of them reported).
std::optional<std::string> render_template(std::string_view text, const TemplateContext& context,
                                           const std::optional<std::string>& text_file,
                                           const Location& fallback, Diagnostics& diagnostics);

}  // namespace reconcile::state
