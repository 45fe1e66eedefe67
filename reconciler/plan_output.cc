#include "reconciler/plan_output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "reconciler/base/strings.h"

namespace reconcile {

namespace {

using modules::Action;
using modules::Change;

struct Counts {
  int create = 0;
  int update = 0;
  int remove = 0;
  int destructive = 0;

  void add(const Change& change) {
    if (change.action == Action::kCreate) ++create;
    if (change.action == Action::kUpdate) ++update;
    if (change.action == Action::kRemove) ++remove;
    if (change.destructive) ++destructive;
  }
  int total() const { return create + update + remove; }
  std::string text() const {
    return std::to_string(create) + " to create, " + std::to_string(update) + " to update, " +
           std::to_string(remove) + " to remove";
  }
};

const char* color_of(Action action) {
  switch (action) {
    case Action::kCreate:
      return "\033[32m";
    case Action::kUpdate:
      return "\033[33m";
    case Action::kRemove:
      return "\033[31m";
  }
  return "";
}

std::string value_text(const modules::FieldChange& field, const std::string& value) {
  return field.sensitive ? "(sensitive)" : value;
}

void render_change(const Change& change, const ChangeResult* result, const OutputStyle& style,
                   std::string& out) {
  const char* on = style.color ? color_of(change.action) : "";
  const char* off = style.color ? "\033[0m" : "";
  out += "  ";
  out += on;
  out += modules::action_symbol(change.action);
  out += " " + change.resource;
  out += off;
  if (change.destructive) out += style.color ? " \033[1;31m[destructive]\033[0m" : " [destructive]";
  if (change.guarded) out += " [lockout guard]";
  if (result != nullptr && result->outcome != ChangeOutcome::kNotRun) {
    out += std::string("  (") + change_outcome_name(result->outcome) + ")";
  }
  out += "\n";
  size_t width = 6;  // "reason"
  for (const auto& field : change.fields)
    width = std::max(width, field.name.size());
  for (const auto& field : change.fields) {
    out += "      " + field.name + ":" + std::string(width - field.name.size() + 1, ' ') +
           value_text(field, field.before) + " -> " + value_text(field, field.after) + "\n";
  }
  out += "      reason:" + std::string(width - 5, ' ') + change.reason + "\n";
  if (result != nullptr && !result->message.empty() && result->outcome != ChangeOutcome::kApplied) {
    out += "      result:" + std::string(width - 5, ' ') + result->message + "\n";
  }
}

nlohmann::json change_json(const Change& change, const ChangeResult* result) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& field : change.fields) {
    fields.push_back({{"name", field.name},
                      {"before", value_text(field, field.before)},
                      {"after", value_text(field, field.after)},
                      {"sensitive", field.sensitive}});
  }
  nlohmann::json out = {{"module", change.module},
                        {"resource", change.resource},
                        {"key", change.key},
                        {"action", modules::action_name(change.action)},
                        {"phase", modules::phase_name(change.phase)},
                        {"destructive", change.destructive},
                        {"guarded", change.guarded},
                        {"reason", change.reason},
                        {"fields", fields}};
  if (result != nullptr) {
    out["outcome"] = change_outcome_name(result->outcome);
    out["message"] = result->message;
    out["seconds"] = result->seconds;
  }
  return out;
}

void render_health(const HealthResult& check, std::string& out) {
  out += std::string("  health: ") + (check.passed ? "passed  " : "FAILED  ") + check.check + " (" +
         (check.tool.empty() ? "no tool" : check.tool);
  if (check.attempts > 0) {
    out += ", " + std::to_string(check.attempts) + " attempt" + (check.attempts == 1 ? "" : "s");
  }
  out += ")";
  if (!check.passed) out += ": " + check.message;
  out += "\n";
}

nlohmann::json health_json(const std::vector<HealthResult>& checks) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& check : checks) {
    list.push_back({{"check", check.check},
                    {"tool", check.tool},
                    {"passed", check.passed},
                    {"attempts", check.attempts},
                    {"message", check.message},
                    {"seconds", check.seconds}});
  }
  return list;
}

nlohmann::json counts_json(const Counts& counts) {
  return {{"create", counts.create},
          {"update", counts.update},
          {"remove", counts.remove},
          {"destructive", counts.destructive}};
}

std::string status_words(const HostReport& host, bool applied) {
  switch (host.status) {
    case HostStatus::kConverged:
      return applied && !host.plan.empty() ? "applied" : "no changes";
    case HostStatus::kChangesPending:
      return "changes pending";
    case HostStatus::kNotConverged:
      return "not converged";
    case HostStatus::kFailed:
      return "failed";
    case HostStatus::kUnreachable:
      return "unreachable";
    case HostStatus::kStale:
      return "stale";
  }
  return "unknown";
}

// One host's <details> section: its changes as a diff block (so + and -
// lines are coloured), then its error.
std::string markdown_host(const HostReport& host, const Counts& counts, bool applied) {
  std::string summary =
      "<b>" + markdown_escape(host.name) + "</b> (" + markdown_escape(host.address) + "): ";
  summary += counts.total() > 0 ? counts.text() : status_words(host, applied);
  if (counts.destructive > 0) summary += ", " + std::to_string(counts.destructive) + " destructive";
  std::string out = "<details>\n<summary>" + summary + "</summary>\n\n";
  if (!host.plan.empty()) {
    std::string changes;
    for (size_t i = 0; i < host.plan.size(); ++i) {
      const ChangeResult* result = i < host.results.size() ? &host.results[i] : nullptr;
      std::string lines;
      render_change(host.plan[i], result, OutputStyle{}, lines);
      // Unindent by two so that + and - start the line, as a diff block wants.
      for (const auto& line : split(lines, '\n')) {
        if (!line.empty()) changes += line.substr(std::min<size_t>(2, line.size())) + "\n";
      }
    }
    out += markdown_code_block(changes, "diff") + "\n";
  }
  if (!host.error.empty()) out += markdown_code_block(host.error + "\n", "text") + "\n";
  return out + "</details>\n\n";
}

}  // namespace

std::string markdown_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_code_block(const std::string& text, const std::string& language) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  std::string fence(std::max<size_t>(3, longest + 1), '`');
  std::string body = text;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return fence + language + "\n" + body + fence + "\n";
}

std::string render_markdown(const std::vector<HostReport>& hosts, const std::string& commit,
                            bool applied) {
  std::string table =
      "| host | create | update | remove | destructive | status |\n"
      "| --- | ---: | ---: | ---: | :---: | --- |\n";
  std::string sections;
  Counts run;
  int hosts_with_changes = 0;
  for (const auto& host : hosts) {
    Counts counts;
    for (const auto& change : host.plan)
      counts.add(change);
    run.create += counts.create;
    run.update += counts.update;
    run.remove += counts.remove;
    run.destructive += counts.destructive;
    if (counts.total() > 0) ++hosts_with_changes;
    // A host without a plan has no counts, not zero of each.
    bool planned = !host.plan.empty() || host.error.empty();
    auto cell = [planned](int count) { return planned ? std::to_string(count) : "–"; };
    table += "| " + markdown_escape(host.name) + " | " + cell(counts.create) + " | " +
             cell(counts.update) + " | " + cell(counts.remove) + " | " +
             (counts.destructive > 0 ? "⚠️ " + std::to_string(counts.destructive) : "") +
             " | " + status_words(host, applied) + " |\n";
    if (counts.total() > 0 || !host.error.empty()) sections += markdown_host(host, counts, applied);
  }
  std::string out = std::string("### reconcile ") + (applied ? "apply" : "plan");
  if (!commit.empty()) out += " of `" + commit.substr(0, 12) + "`";
  out += "\n\n**" + run.text() + "** on " + std::to_string(hosts_with_changes) + " of " +
         std::to_string(hosts.size()) + " host" + (hosts.size() == 1 ? "" : "s");
  if (run.destructive > 0) out += "; **" + std::to_string(run.destructive) + " destructive**";
  return out + "\n\n" + table + "\n" + sections;
}

bool want_color() {
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(STDOUT_FILENO) && (no_color == nullptr || no_color[0] == '\0');
}

std::string render_text(const std::vector<HostReport>& hosts, const OutputStyle& style) {
  std::string out;
  Counts run;
  int hosts_with_changes = 0;
  int problems = 0;
  for (const auto& host : hosts) {
    Counts counts;
    for (const auto& change : host.plan)
      counts.add(change);
    run.create += counts.create;
    run.update += counts.update;
    run.remove += counts.remove;
    run.destructive += counts.destructive;
    if (counts.total() > 0) ++hosts_with_changes;
    std::string bold = style.color ? "\033[1m" : "";
    std::string reset = style.color ? "\033[0m" : "";
    out += bold + host.name + reset + " (" + host.address + ")";
    if (host.status == HostStatus::kUnreachable || host.status == HostStatus::kFailed ||
        host.status == HostStatus::kNotConverged || host.status == HostStatus::kStale) {
      ++problems;
      out += std::string(": ") + host_status_name(host.status);
    }
    out += "\n";
    for (size_t i = 0; i < host.plan.size(); ++i) {
      const ChangeResult* result = i < host.results.size() ? &host.results[i] : nullptr;
      render_change(host.plan[i], result, style, out);
    }
    if (!host.error.empty()) out += "  error: " + host.error + "\n";
    if (!host.guard.empty()) out += "  lockout guard: " + host.guard + "\n";
    for (const auto& check : host.health)
      render_health(check, out);
    if (style.applied && !host.remaining.empty()) {
      out += "  still needed after apply:\n";
      for (const auto& change : host.remaining)
        render_change(change, nullptr, style, out);
    }
    if (host.plan.empty()) {
      out += host.name + ": " +
             (host.error.empty() ? "no changes"
                                 : std::string("no plan (") + host_status_name(host.status) + ")");
    } else {
      out += host.name + ": " + counts.text();
    }
    if (counts.destructive > 0) out += " (" + std::to_string(counts.destructive) + " destructive)";
    out += "\n\n";
  }
  out += style.applied ? "Applied: " : "Plan: ";
  out += run.text() + " on " + std::to_string(hosts_with_changes) + " of " +
         std::to_string(hosts.size()) + " host" + (hosts.size() == 1 ? "" : "s");
  if (run.destructive > 0) out += "; " + std::to_string(run.destructive) + " destructive";
  if (problems > 0) out += "; " + std::to_string(problems) + " with errors";
  out += "\n";
  return out;
}

nlohmann::json render_json(const std::vector<HostReport>& hosts, const std::string& origin,
                           const std::string& commit, bool applied) {
  nlohmann::json host_list = nlohmann::json::array();
  Counts run;
  for (const auto& host : hosts) {
    Counts counts;
    nlohmann::json changes = nlohmann::json::array();
    for (size_t i = 0; i < host.plan.size(); ++i) {
      counts.add(host.plan[i]);
      const ChangeResult* result = i < host.results.size() ? &host.results[i] : nullptr;
      changes.push_back(change_json(host.plan[i], result));
    }
    run.create += counts.create;
    run.update += counts.update;
    run.remove += counts.remove;
    run.destructive += counts.destructive;
    nlohmann::json entry = {
        {"name", host.name},
        {"address", host.address},
        {"status", host_status_name(host.status)},
        {"error", host.error.empty() ? nlohmann::json() : nlohmann::json(host.error)},
        {"changes", changes},
        {"summary", counts_json(counts)},
        {"round_trips", host.round_trips},
        {"ssh_connections", host.stats.connections},
        {"ssh_channels", host.stats.channels},
        {"seconds", host.seconds}};
    if (applied) {
      nlohmann::json remaining = nlohmann::json::array();
      for (const auto& change : host.remaining)
        remaining.push_back(change_json(change, nullptr));
      entry["remaining"] = remaining;
      if (!host.guard.empty()) {
        entry["lockout_guard"] = {
            {"outcome", host.guard},
            {"confirm_seconds", host.guard_confirm_seconds < 0
                                    ? nlohmann::json()
                                    : nlohmann::json(host.guard_confirm_seconds)},
            {"rollback_seconds", host.guard_rollback_seconds < 0
                                     ? nlohmann::json()
                                     : nlohmann::json(host.guard_rollback_seconds)}};
      }
      entry["health"] = health_json(host.health);
    }
    host_list.push_back(entry);
  }
  return {
      {"format_version", 1}, {"kind", applied ? "apply" : "plan"},
      {"origin", origin},    {"commit", commit.empty() ? nlohmann::json() : nlohmann::json(commit)},
      {"hosts", host_list},  {"summary", counts_json(run)}};
}

}  // namespace reconcile
