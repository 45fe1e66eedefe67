// Text, JSON and Markdown for `reconcile diff`. Every renderer prints the
// descriptions made in model_diff.cc, which never hold a secret or
// sensitive value; JSON leaves `before`/`after` null for those kinds.

#include <nlohmann/json.hpp>

#include "reconciler/base/strings.h"
#include "reconciler/model_diff.h"
#include "reconciler/plan_output.h"

namespace reconcile {

namespace {

const char* symbol(ModelAction action) {
  switch (action) {
    case ModelAction::kAdded:
      return "+";
    case ModelAction::kRemoved:
      return "-";
    case ModelAction::kChanged:
      return "~";
  }
  return "?";
}

const char* action_word(ModelAction action) {
  switch (action) {
    case ModelAction::kAdded:
      return "added";
    case ModelAction::kRemoved:
      return "removed";
    case ModelAction::kChanged:
      return "changed";
  }
  return "?";
}

std::string short_id(const std::string& id) {
  return id.size() == 40 ? id.substr(0, 12) : id;
}

// "db2: host added (roles: base, web)"
std::string host_line(const HostDiff& host) {
  std::string line = host.name + ": host " + action_word(host.action);
  if (!host.roles.empty()) line += " (roles: " + join(host.roles, ", ") + ")";
  return line;
}

std::string summary(const ModelDiff& diff) {
  if (diff.empty()) return "no differences";
  int changed = 0, added = 0, removed = 0;
  for (const auto& host : diff.hosts) {
    if (host.action == ModelAction::kChanged) ++changed;
    if (host.action == ModelAction::kAdded) ++added;
    if (host.action == ModelAction::kRemoved) ++removed;
  }
  std::string out = std::to_string(changed) + " host" + (changed == 1 ? "" : "s") + " changed, " +
                    std::to_string(added) + " added, " + std::to_string(removed) + " removed";
  if (!diff.repository.empty()) {
    out += "; " + std::to_string(diff.repository.size()) + " repository setting" +
           (diff.repository.size() == 1 ? "" : "s") + " changed";
  }
  return out;
}

std::string change_lines(const std::vector<ModelChange>& changes, const std::string& indent) {
  std::string out;
  for (const auto& change : changes)
    out += indent + symbol(change.action) + " " + change.description + "\n";
  return out;
}

nlohmann::json value_json(const ModelValue& value, bool present) {
  if (!present || value.kind == ValueKind::kSensitive || value.kind == ValueKind::kCiphertext) {
    return nullptr;
  }
  return value.text;
}

nlohmann::json changes_json(const std::vector<ModelChange>& changes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& change : changes) {
    out.push_back({{"action", action_word(change.action)},
                   {"key", change.key},
                   {"before", value_json(change.before, change.action != ModelAction::kAdded)},
                   {"after", value_json(change.after, change.action != ModelAction::kRemoved)},
                   {"description", change.description}});
  }
  return out;
}

}  // namespace

std::string render_model_diff_text(const ModelDiff& diff) {
  std::string out =
      "Desired state from " + short_id(diff.from) + " to " + short_id(diff.to) + ":\n\n";
  for (const auto& host : diff.hosts) {
    if (host.action == ModelAction::kChanged) {
      out += host.name + "\n" + change_lines(host.changes, "  ");
    } else {
      out += std::string(symbol(host.action)) + " " + host_line(host) + "\n";
    }
  }
  if (!diff.repository.empty()) out += "repository\n" + change_lines(diff.repository, "  ");
  if (!diff.empty()) out += "\n";
  return out + summary(diff) + "\n";
}

std::string render_model_diff_json(const ModelDiff& diff) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& host : diff.hosts) {
    hosts.push_back({{"name", host.name},
                     {"action", action_word(host.action)},
                     {"roles", host.roles},
                     {"changes", changes_json(host.changes)}});
  }
  nlohmann::json document = {
      {"format_version", 1},     {"kind", "model_diff"},
      {"from", diff.from},       {"to", diff.to},
      {"hosts", hosts},          {"repository", changes_json(diff.repository)},
      {"differs", !diff.empty()}};
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string render_model_diff_markdown(const ModelDiff& diff) {
  std::string out = "### reconcile diff `" + short_id(diff.from) + "` → `" + short_id(diff.to) +
                    "`\n\n**" + summary(diff) + "**\n\n";
  if (diff.empty()) return out;
  out += "| host | change | differences |\n| --- | --- | ---: |\n";
  for (const auto& host : diff.hosts) {
    out += "| " + markdown_escape(host.name) + " | " + action_word(host.action) + " | " +
           (host.action == ModelAction::kChanged ? std::to_string(host.changes.size()) : "") +
           " |\n";
  }
  if (!diff.repository.empty()) {
    out += "| (repository) | changed | " + std::to_string(diff.repository.size()) + " |\n";
  }
  out += "\n";
  auto section = [&out](const std::string& title, const std::vector<ModelChange>& changes) {
    out += "<details>\n<summary><b>" + markdown_escape(title) +
           "</b>: " + std::to_string(changes.size()) + " difference" +
           (changes.size() == 1 ? "" : "s") + "</summary>\n\n" +
           markdown_code_block(change_lines(changes, ""), "diff") + "\n</details>\n\n";
  };
  for (const auto& host : diff.hosts) {
    if (host.action == ModelAction::kChanged) section(host.name, host.changes);
  }
  if (!diff.repository.empty()) section("repository", diff.repository);
  return out;
}

}  // namespace reconcile
