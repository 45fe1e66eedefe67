#include "reconciler/daemon/metrics.h"

#include <sstream>

#include "reconciler/daemon/outcome.h"

namespace reconcile::daemon {

namespace {

// Label values may not carry quotes, backslashes or newlines unescaped.
std::string label(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

std::string number_or(const std::map<std::string, std::string>& values, const char* key) {
  auto it = values.find(key);
  return it == values.end() || it->second.empty() ? "" : it->second;
}

}  // namespace

std::string render_metrics(const StoreCounts& counts,
                           const std::map<std::string, std::string>& values) {
  std::ostringstream out;
  header(out, "reconcile_up", "gauge", "The daemon answers.");
  out << "reconcile_up 1\n";

  header(out, "reconcile_runs_total", "counter", "Runs recorded in the state store, by result.");
  // Every known result appears, so that rate() works from the first run.
  std::map<std::string, int64_t> runs = counts.runs_by_result;
  for (const char* result : {run_result::kConverged, run_result::kDrifted, run_result::kFailed,
                             run_result::kUnreachable, run_result::kInvalid, run_result::kRejected,
                             run_result::kInterrupted, run_result::kStopped})
    runs.try_emplace(result, 0);
  for (const auto& [result, count] : runs)
    out << "reconcile_runs_total{result=\"" << label(result) << "\"} " << count << "\n";

  header(out, "reconcile_hosts", "gauge", "Hosts in the desired state, by status.");
  std::map<std::string, int64_t> hosts = counts.hosts_by_status;
  for (HostState state : {HostState::kPending, HostState::kConverged, HostState::kDrifted,
                          HostState::kFailed, HostState::kUnreachable})
    hosts.try_emplace(host_state_name(state), 0);
  for (const auto& [status, count] : hosts)
    out << "reconcile_hosts{status=\"" << label(status) << "\"} " << count << "\n";

  header(out, "reconcile_last_run_duration_seconds", "gauge",
         "Wall time of the last finished run that touched hosts.");
  out << "reconcile_last_run_duration_seconds " << counts.last_run_seconds.value_or(0) << "\n";

  header(out, "reconcile_drift_events_total", "counter",
         "Hosts found changed by hand (differing from a commit they had converged to).");
  out << "reconcile_drift_events_total " << counts.drift_events << "\n";

  header(out, "reconcile_last_applied_commit_timestamp_seconds", "gauge",
         "Commit time of the last commit applied with every host converged (0: none yet).");
  std::string applied = number_or(values, "applied_commit_time");
  out << "reconcile_last_applied_commit_timestamp_seconds " << (applied.empty() ? "0" : applied)
      << "\n";

  header(out, "reconcile_desired_commit_timestamp_seconds", "gauge",
         "Commit time of the commit the daemon applies (0: none yet).");
  std::string desired = number_or(values, "desired_commit_time");
  out << "reconcile_desired_commit_timestamp_seconds " << (desired.empty() ? "0" : desired) << "\n";

  header(out, "reconcile_commit_rejected", "gauge",
         "1 while the branch tip is refused (untrusted signature or invalid state).");
  out << "reconcile_commit_rejected " << (number_or(values, "rejected_commit").empty() ? 0 : 1)
      << "\n";

  header(out, "reconcile_commit_rollout_failed", "gauge",
         "1 while the desired commit is held after its rollout stopped on failures (until a new "
         "commit or `reconcile retry`).");
  out << "reconcile_commit_rollout_failed " << (number_or(values, "failed_commit").empty() ? 0 : 1)
      << "\n";
  return out.str();
}

}  // namespace reconcile::daemon
