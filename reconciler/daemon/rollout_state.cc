// A stuck rollout: marking the desired commit failed, clearing the mark (a
// new commit, `reconcile retry`), and picking it up again after a restart.

#include "reconciler/daemon/rollout_state.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "reconciler/daemon/daemon.h"

namespace reconcile::daemon {

std::string rollout_failure_text(const std::string& reason, const std::vector<std::string>& left) {
  std::string text = "rollout stopped: " + reason;
  if (!left.empty()) {
    text += "; left untouched: ";
    for (size_t i = 0; i < left.size(); ++i)
      text += (i > 0 ? ", " : "") + left[i];
  }
  return text;
}

std::string join_host_names(const std::set<std::string>& hosts) {
  std::string text;
  for (const auto& host : hosts)
    text += (text.empty() ? "" : ",") + host;
  return text;
}

std::set<std::string> split_host_names(const std::string& text) {
  std::set<std::string> hosts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) hosts.insert(text.substr(start, end - start));
    start = end + 1;
  }
  return hosts;
}

void Daemon::mark_failed(const std::string& reason, const std::set<std::string>& touched) {
  m_failed_commit = m_desired->commit;
  m_failed_hosts = touched;
  // The hosts it reached wait for a new commit or `reconcile retry`, not
  // for a backoff timer: a timer would re-apply the failed commit.
  for (const auto& host : touched) {
    m_backoff.record_success(host);
    (void)m_store->set_retry(host, 0, std::nullopt);
  }
  char at[32];
  std::snprintf(at, sizeof at, "%.3f", unix_seconds(m_clock.wall_now()));
  auto status = m_store->set_values({{"failed_commit", m_failed_commit},
                                     {"failed_reason", reason},
                                     {"failed_at", at},
                                     {"failed_hosts", join_host_names(touched)}});
  if (!status) spdlog::error("state store: {}", status.error().message());
  spdlog::error(
      "commit {} is marked failed; it is not rolled out again until a new commit "
      "arrives or `reconcile retry`",
      m_failed_commit.substr(0, 12));
}

void Daemon::clear_failed(const char* why) {
  spdlog::info("failed commit {} released: {}", m_failed_commit.substr(0, 12), why);
  m_failed_commit.clear();
  m_failed_hosts.clear();
  auto status = m_store->set_values(
      {{"failed_commit", ""}, {"failed_reason", ""}, {"failed_at", ""}, {"failed_hosts", ""}});
  if (!status) spdlog::error("state store: {}", status.error().message());
}

void Daemon::restore_rollout_state(const std::map<std::string, std::string>& values) {
  auto value = [&](const char* key) {
    auto it = values.find(key);
    return it == values.end() ? std::string() : it->second;
  };
  std::string good = value("last_good_commit");
  if (!good.empty()) {
    if (m_desired && m_desired->commit == good) {
      m_last_good = m_desired;
    } else if (auto loaded = load_commit(m_paths.mirror, good)) {
      m_last_good = std::move(*loaded);
    } else {
      spdlog::warn("cannot load the last good commit {}: {}", good.substr(0, 12),
                   loaded.error().message());
    }
  }
  m_failed_commit = value("failed_commit");
  m_failed_hosts = split_host_names(value("failed_hosts"));
  if (!m_failed_commit.empty()) {
    spdlog::warn(
        "commit {} failed its rollout before the restart; it waits for a new commit or "
        "`reconcile retry`",
        m_failed_commit.substr(0, 12));
  }
}

}  // namespace reconcile::daemon
