#include "reconciler/rollout_output.h"

#include <algorithm>
#include <map>

#include "desired-state/rollout_values.h"
#include "reconciler/base/strings.h"
#include "reconciler/health.h"

namespace reconcile {

namespace {

using ReportIndex = std::map<std::string, const HostReport*>;

ReportIndex index_reports(const std::vector<HostReport>& reports) {
  ReportIndex index;
  for (const auto& report : reports)
    index[report.name] = &report;
  return index;
}

std::vector<std::string> names_of(const std::vector<const state::Host*>& hosts) {
  std::vector<std::string> names;
  for (const auto* host : hosts)
    names.push_back(host->name);
  return names;
}

bool changed(const HostReport& report) {
  for (const auto& result : report.results) {
    if (result.outcome == ChangeOutcome::kApplied) return true;
  }
  return false;
}

// "changed", "unchanged", "failed", "unreachable", "not converged".
std::string outcome_word(const HostReport& report) {
  switch (report.status) {
    case HostStatus::kFailed:
      return "failed";
    case HostStatus::kUnreachable:
      return "unreachable";
    case HostStatus::kNotConverged:
      return "not converged";
    case HostStatus::kStale:
      return "stale";
    default:
      return changed(report) ? "changed" : "unchanged";
  }
}

std::string policy_line(const RolloutPlan& plan) {
  size_t stages = plan.stages.size();
  std::string line = "Rollout: " + std::to_string(plan.host_count) + " host" +
                     (plan.host_count == 1 ? "" : "s") + " in " + std::to_string(stages) +
                     " stage" + (stages == 1 ? "" : "s");
  if (plan.policy.batch) {
    line += "; batches of " + std::to_string(plan.batch_size);
    if (plan.policy.batch->percent) line += " (" + state::host_count_text(*plan.policy.batch) + ")";
  }
  int allowed = plan.max_failures;
  bool canary = !plan.stages.empty() && plan.stages[0].canary;
  line += "; stops when ";
  if (allowed == 0) {
    line += "any host fails";
  } else {
    if (canary) line += "a canary fails or ";
    line += "more than " + std::to_string(allowed) + (allowed == 1 ? " host fails" : " hosts fail");
  }
  if (plan.policy.max_failures.percent) {
    line += " (max_failures " + state::host_count_text(plan.policy.max_failures) + ")";
  }
  if (plan.policy.pause_seconds > 0) {
    line += "; " + std::to_string(plan.policy.pause_seconds) + "s pause between stages";
  }
  return line + "\n";
}

// The lines describing one host's checks, with the tool its facts choose.
std::string checks_text(const state::Host& host, const HostReport* report) {
  std::string text;
  for (const auto& check : host.health) {
    std::string tool = report == nullptr || report->facts.system.kernel.empty()
                           ? "tool unknown: no facts"
                           : health_tool(check, report->facts.system);
    if (tool.empty()) tool = "no tool: " + missing_tool_message(check);
    text += "    " + describe_check(check) + " (" + tool + "; " + describe_timing(check) + ")\n";
  }
  return text;
}

// Hosts with the same checks share one block.
void render_checks(const RolloutPlan& plan, const ReportIndex& index, std::string& out) {
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& stage : plan.stages) {
    for (const auto* host : stage.hosts) {
      if (host->health.empty()) continue;
      auto found = index.find(host->name);
      std::string text = checks_text(*host, found == index.end() ? nullptr : found->second);
      auto group = std::find_if(groups.begin(), groups.end(),
                                [&](const auto& entry) { return entry.first == text; });
      if (group == groups.end()) {
        groups.push_back({text, {host->name}});
      } else {
        group->second.push_back(host->name);
      }
    }
  }
  if (groups.empty()) return;
  out += "Health checks after apply:\n";
  for (const auto& [text, hosts] : groups)
    out += "  " + join(hosts, ", ") + ":\n" + text;
}

void render_stages(const RolloutPlan& plan, const ReportIndex& index, const RolloutResult* result,
                   std::string& out) {
  size_t width = 0;
  for (const auto& stage : plan.stages)
    width = std::max(width, stage.name.size());
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const RolloutStage& stage = plan.stages[i];
    std::vector<std::string> words;
    for (const auto* host : stage.hosts) {
      auto found = index.find(host->name);
      if (result == nullptr) {
        words.push_back(host->name);
      } else if (i >= result->stages_run || found == index.end()) {
        words.push_back(host->name + " (left)");
      } else {
        words.push_back(host->name + " (" + outcome_word(*found->second) + ")");
      }
    }
    out += "  " + stage.name + std::string(width - stage.name.size() + 2, ' ') + join(words, ", ") +
           "\n";
  }
}

void render_outcome(const RolloutResult& result, std::string& out) {
  std::vector<std::string> changed_hosts;
  std::string failed;
  for (const auto& report : result.reports) {
    if (changed(report)) changed_hosts.push_back(report.name);
    if (counts_as_failure(report)) failed += "  " + report.name + ": " + report.error + "\n";
  }
  out += result.stopped ? "Rollout stopped: " + result.stop_reason + "\n"
                        : "Rollout done: " + std::to_string(result.failures) + " host" +
                              (result.failures == 1 ? "" : "s") + " failed\n";
  out += "Changed: " + (changed_hosts.empty() ? "none" : join(changed_hosts, ", ")) + "\n";
  if (!failed.empty()) out += "Failed:\n" + failed;
  if (!result.left.empty()) out += "Left untouched: " + join(result.left, ", ") + "\n";
}

nlohmann::json planned_checks_json(const state::Host& host, const HostReport* report) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& check : host.health) {
    nlohmann::json tool = nullptr;
    if (report != nullptr && !report->facts.system.kernel.empty()) {
      tool = health_tool(check, report->facts.system);
    }
    list.push_back({{"check", describe_check(check)},
                    {"tool", tool},
                    {"timeout_seconds", check.timeout_seconds},
                    {"retries", check.retries},
                    {"interval_seconds", check.interval_seconds}});
  }
  return list;
}

}  // namespace

bool rollout_worth_showing(const RolloutPlan& plan) {
  if (plan.stages.size() > 1) return true;
  for (const auto& stage : plan.stages) {
    for (const auto* host : stage.hosts) {
      if (!host->health.empty()) return true;
    }
  }
  return false;
}

std::string render_rollout_text(const RolloutPlan& plan, const std::vector<HostReport>& reports,
                                const RolloutResult* result, const OutputStyle& style) {
  bool interesting = rollout_worth_showing(plan) || (result != nullptr && result->stopped);
  if (!interesting) return {};
  ReportIndex index = index_reports(reports);
  std::string bold = style.color ? "\033[1m" : "";
  std::string reset = style.color ? "\033[0m" : "";
  std::string out = "\n" + bold + policy_line(plan) + reset;
  render_stages(plan, index, result, out);
  if (result == nullptr) {
    render_checks(plan, index, out);
  } else if (plan.stages.size() > 1 || result->stopped || result->failures > 0) {
    render_outcome(*result, out);
  }
  return out;
}

nlohmann::json rollout_json(const RolloutPlan& plan, const std::vector<HostReport>& reports,
                            const RolloutResult* result) {
  ReportIndex index = index_reports(reports);
  nlohmann::json stages = nlohmann::json::array();
  nlohmann::json checks = nlohmann::json::object();
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const RolloutStage& stage = plan.stages[i];
    nlohmann::json entry = {
        {"name", stage.name}, {"canary", stage.canary}, {"hosts", names_of(stage.hosts)}};
    if (result != nullptr) entry["started"] = i < result->stages_run;
    stages.push_back(entry);
    for (const auto* host : stage.hosts) {
      if (host->health.empty()) continue;
      auto found = index.find(host->name);
      checks[host->name] =
          planned_checks_json(*host, found == index.end() ? nullptr : found->second);
    }
  }
  std::vector<std::string> canary;
  for (const auto& ref : plan.policy.canary)
    canary.push_back(state::canary_text(ref));
  nlohmann::json out = {
      {"canary", canary},
      {"batch_size", plan.batch_size},
      {"batch", plan.policy.batch ? nlohmann::json(state::host_count_text(*plan.policy.batch))
                                  : nlohmann::json()},
      {"max_failures", plan.max_failures},
      {"max_failures_policy", state::host_count_text(plan.policy.max_failures)},
      {"pause_seconds", plan.policy.pause_seconds},
      {"stages", stages},
      {"checks", checks}};
  if (result == nullptr) return out;
  nlohmann::json changed_hosts = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  for (const auto& report : result->reports) {
    if (changed(report)) changed_hosts.push_back(report.name);
    if (counts_as_failure(report)) {
      failed.push_back({{"name", report.name},
                        {"status", host_status_name(report.status)},
                        {"error", report.error}});
    }
  }
  out["stopped"] = result->stopped;
  out["stop_reason"] = result->stopped ? nlohmann::json(result->stop_reason) : nlohmann::json();
  out["failures"] = result->failures;
  out["changed"] = changed_hosts;
  out["failed"] = failed;
  out["left"] = result->left;
  return out;
}

}  // namespace reconcile
