#include "reconciler/daemon/views.h"

#include <cmath>
#include <ctime>
#include <sstream>

namespace reconcile::daemon {

namespace {

using nlohmann::json;

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json(nullptr);
}

std::string short_id(const std::string& commit) {
  return commit.substr(0, 12);
}

std::string duration_text(double seconds) {
  std::ostringstream out;
  out.precision(seconds < 10 ? 2 : 0);
  out << std::fixed << seconds << "s";
  return out.str();
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// Pads to a column width.
std::string cell(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size() + 1, ' ');
}

std::string value_or(const json& object, const char* key, const std::string& fallback = "") {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  if (object[key].is_string()) return object[key].get<std::string>();
  return object[key].dump();
}

}  // namespace

std::string iso_time(double seconds) {
  time_t whole = static_cast<time_t>(std::floor(seconds));
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

json host_json(const HostRecord& host) {
  return {{"name", host.name},
          {"status", host.status},
          {"applied_commit", host.applied_commit},
          {"last_error", host.last_error},
          {"last_run_id", host.last_run_id ? json(*host.last_run_id) : json(nullptr)},
          {"updated_at", host.updated_at},
          {"converged_at", optional_number(host.converged_at)},
          {"failures", host.failures},
          {"retry_at", optional_number(host.retry_at)}};
}

json run_json(const RunRecord& run) {
  json duration = run.finished_at ? json(*run.finished_at - run.started_at) : json(nullptr);
  return {{"id", run.id},
          {"trigger", run.trigger},
          {"coalesced", run.coalesced},
          {"commit", run.commit},
          {"started_at", run.started_at},
          {"finished_at", optional_number(run.finished_at)},
          {"duration_seconds", duration},
          {"result", run.result},
          {"error", run.error},
          {"hosts", run.hosts_total}};
}

json run_host_json(const RunHostRecord& host, bool with_output) {
  json result = {{"host", host.host},
                 {"status", host.status},
                 {"error", host.error},
                 {"changes", host.changes},
                 {"applied", host.applied},
                 {"failed", host.failed},
                 {"plan_summary", host.plan_summary},
                 {"seconds", host.seconds}};
  if (with_output) result["output"] = host.output;
  return result;
}

json drift_json(const DriftEvent& event) {
  return {
      {"id", event.id},           {"run_id", event.run_id},           {"host", event.host},
      {"commit", event.commit},   {"detected_at", event.detected_at}, {"changes", event.changes},
      {"summary", event.summary}, {"repaired", event.repaired}};
}

json daemon_json(const std::map<std::string, std::string>& values, bool alive) {
  json result = json::object();
  static const char* const kNumbers[] = {
      "pid",           "started_at",          "stopped_at", "interval_seconds",
      "last_fetch_at", "desired_commit_time", "desired_at", "applied_commit_time",
      "applied_at",    "rejected_at",         "failed_at"};
  for (const auto& [key, value] : values) {
    bool number = std::find(std::begin(kNumbers), std::end(kNumbers), key) != std::end(kNumbers);
    if (number && !value.empty()) {
      if (value.find('.') == std::string::npos) {
        result[key] = std::strtoll(value.c_str(), nullptr, 10);
      } else {
        result[key] = std::strtod(value.c_str(), nullptr);
      }
    } else if (key == "require_signed" || key == "dry_run") {
      result[key] = value == "true";
    } else {
      result[key] = value;
    }
  }
  result["running"] = alive;
  return result;
}

std::string status_text(const json& daemon, const std::vector<HostRecord>& hosts,
                        const std::vector<RunRecord>& runs, const std::vector<DriftEvent>& drift,
                        double now) {
  std::ostringstream out;
  auto time_of = [&](const char* key) {
    return daemon.contains(key) && daemon[key].is_number() ? iso_time(daemon[key].get<double>())
                                                           : std::string("?");
  };
  if (daemon.value("running", false)) {
    out << "daemon      running (pid " << value_or(daemon, "pid") << ") since "
        << time_of("started_at") << "\n";
  } else {
    out << "daemon      not running"
        << (daemon.contains("stopped_at") ? " (stopped " + time_of("stopped_at") + ")" : "")
        << "\n";
  }
  out << "repository  " << value_or(daemon, "repo", "?") << " (branch "
      << value_or(daemon, "branch", "?") << "), every " << value_or(daemon, "interval_seconds", "?")
      << "s" << (daemon.value("require_signed", false) ? ", signed commits required" : "")
      << (daemon.value("dry_run", false) ? ", dry run" : "") << "\n";
  std::string desired = value_or(daemon, "desired_commit");
  out << "desired     " << (desired.empty() ? "(no valid commit yet)" : short_id(desired));
  if (!desired.empty()) out << " (committed " << time_of("desired_commit_time") << ")";
  out << "\n";
  std::string applied = value_or(daemon, "applied_commit");
  if (!applied.empty()) {
    out << "applied     " << short_id(applied) << " on every host at " << time_of("applied_at")
        << "\n";
  }
  std::string rejected = value_or(daemon, "rejected_commit");
  if (!rejected.empty()) {
    out << "REJECTED    " << short_id(rejected) << " (" << value_or(daemon, "rejected_kind") << ", "
        << time_of("rejected_at") << "): " << value_or(daemon, "rejected_reason")
        << "\n            the desired state stays at "
        << (desired.empty() ? std::string("nothing") : short_id(desired)) << "\n";
  }
  std::string failed = value_or(daemon, "failed_commit");
  if (!failed.empty()) {
    std::string good = value_or(daemon, "last_good_commit");
    out << "FAILED      " << short_id(failed) << " (rollout, " << time_of("failed_at")
        << "): " << value_or(daemon, "failed_reason")
        << "\n            held until a new commit or `reconcile retry`; drift repair at "
        << (good.empty() ? std::string("nothing") : short_id(good)) << "\n";
  }
  std::string fetch_error = value_or(daemon, "last_fetch_error");
  if (!fetch_error.empty()) out << "fetch       failed: " << fetch_error << "\n";

  size_t width = 4;
  for (const auto& host : hosts)
    width = std::max(width, host.name.size());
  out << "\n" << cell("HOST", width) << cell("STATUS", 11) << cell("COMMIT", 12) << "LAST RUN\n";
  for (const auto& host : hosts) {
    out << cell(host.name, width) << cell(host.status, 11)
        << cell(host.applied_commit.empty() ? "-" : short_id(host.applied_commit), 12)
        << (host.last_run_id ? "#" + std::to_string(*host.last_run_id) : std::string("-"));
    if (host.retry_at) {
      double wait = std::max(0.0, *host.retry_at - now);
      out << "  retry in " << duration_text(wait) << " (" << host.failures << " failure"
          << (host.failures == 1 ? "" : "s") << ")";
    }
    if (!host.last_error.empty()) out << "  " << first_line(host.last_error);
    out << "\n";
  }
  if (!runs.empty()) {
    out << "\n"
        << cell("RUN", 6) << cell("TRIGGER", 16) << cell("COMMIT", 12) << cell("RESULT", 12)
        << cell("STARTED", 20) << "DURATION\n";
    for (const auto& run : runs) {
      out << cell("#" + std::to_string(run.id), 6) << cell(run.trigger, 16)
          << cell(run.commit.empty() ? "-" : short_id(run.commit), 12) << cell(run.result, 12)
          << cell(iso_time(run.started_at), 20)
          << (run.finished_at ? duration_text(*run.finished_at - run.started_at) : "-") << "\n";
    }
  }
  if (!drift.empty()) {
    out << "\nrecent drift\n";
    for (const auto& event : drift) {
      out << "  " << iso_time(event.detected_at) << "  " << event.host << ": " << event.summary
          << (event.repaired ? " (repaired)" : " (not repaired)") << "\n";
    }
  }
  return out.str();
}

}  // namespace reconcile::daemon
