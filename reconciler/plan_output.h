#pragma once

// Renders run reports for people (terraform-plan style, grouped by host,
// coloured on a terminal) and as JSON (documented in docs/plan-json.md).
// Secret values never appear: sensitive fields print as "(sensitive)" and
// script input is never printed at all.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reconciler/report.h"

namespace reconcile {

struct OutputStyle {
  bool color = false;
  bool applied = false;  // reports come from an apply, not a dry run
};

// The whole run as text: each host's changes with fields and reasons, a
// summary line per host, and one for the run.
std::string render_text(const std::vector<HostReport>& hosts, const OutputStyle& style);

// The run as a JSON document, format_version 1.
nlohmann::json render_json(const std::vector<HostReport>& hosts, const std::string& origin,
                           const std::string& commit, bool applied);

// The run as Markdown for a pull-request comment: a summary table (host,
// create / update / remove counts, destructive marker, status) and one
// collapsible <details> section per host with changes or errors. Text from
// hosts and the repository is escaped, and code blocks use a fence longer
// than any backtick run inside them, so no value can break the layout.
std::string render_markdown(const std::vector<HostReport>& hosts, const std::string& commit,
                            bool applied);

// Markdown helpers, shared with the model diff's Markdown output.
std::string markdown_escape(const std::string& text);  // for table cells and <summary>
std::string markdown_code_block(const std::string& text, const std::string& language);

// True when stdout is a terminal and NO_COLOR is not set.
bool want_color();

}  // namespace reconcile
