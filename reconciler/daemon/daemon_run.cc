// One run of the daemon: refresh the desired state from the mirror, choose
// the hosts (all of them, minus those backing off from a failure at this
// very commit; only the due ones for a retry; while the desired commit is
// marked failed, the hosts its rollout did not reach at the last good
// commit), run them through the HostRunner as a rollout, and record each host as it finishes, so
// that a daemon killed mid-run leaves every finished host recorded and the run "running" (marked
// "interrupted" at the next start).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "reconciler/daemon/daemon.h"
#include "reconciler/daemon/git_mirror.h"
#include "reconciler/daemon/rollout_state.h"

namespace reconcile::daemon {

namespace {

std::string short_id(const std::string& commit) {
  return commit.substr(0, 12);
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

// The worst state decides the run's result, in the order of the exit codes.
struct Tally {
  int converged = 0, drifted = 0, failed = 0, unreachable = 0;

  void add(HostState state) {
    if (state == HostState::kConverged) ++converged;
    if (state == HostState::kDrifted) ++drifted;
    if (state == HostState::kFailed) ++failed;
    if (state == HostState::kUnreachable) ++unreachable;
  }
  int total() const { return converged + drifted + failed + unreachable; }
  const char* result() const {
    if (unreachable > 0) return run_result::kUnreachable;
    if (failed > 0) return run_result::kFailed;
    if (drifted > 0) return run_result::kDrifted;
    return run_result::kConverged;
  }
  std::string summary() const {
    return std::to_string(converged) + " converged, " + std::to_string(drifted) + " drifted, " +
           std::to_string(failed) + " failed, " + std::to_string(unreachable) + " unreachable";
  }
};

}  // namespace

double Daemon::wall_in(SteadyTime at) const {
  auto delta = std::chrono::duration<double>(at - m_clock.now()).count();
  return unix_seconds(m_clock.wall_now()) + delta;
}

void Daemon::cycle(const RunRequest& request) {
  spdlog::info("run: triggered by {}{}", request.describe(),
               request.coalesced > 1 ? " (" + std::to_string(request.coalesced) + " triggers)"
                                     : std::string());
  if (!request.retry_only() && !refresh(request)) return;
  if (!m_desired) {
    spdlog::warn("run: no commit has passed the checks yet; nothing to apply");
    return;
  }
  bool operator_retry = std::find(request.triggers.begin(), request.triggers.end(),
                                  TriggerKind::kOperatorRetry) != request.triggers.end();
  if (operator_retry && !m_failed_commit.empty()) clear_failed("an operator asked for a retry");
  std::shared_ptr<LoadedCommit> target = m_desired;
  if (!m_failed_commit.empty() && m_failed_commit == m_desired->commit) {
    if (!m_last_good) {
      spdlog::warn(
          "run: commit {} failed its rollout and no good commit is loaded; nothing to "
          "run until a new commit or `reconcile retry`",
          short_id(m_failed_commit));
      return;
    }
    spdlog::info(
        "run: commit {} failed its rollout; drift repair at {} for the hosts it did "
        "not reach",
        short_id(m_failed_commit), short_id(m_last_good->commit));
    target = m_last_good;
  }
  auto hosts = select_hosts(request, *target);
  if (hosts.empty()) {
    spdlog::info("run: no host to run (every host is backing off or held by a failed rollout)");
    return;
  }
  run_selected(request, hosts, target);
}

bool Daemon::refresh(const RunRequest& request) {
  FetchSettings fetch;
  fetch.url = m_settings.repo;
  fetch.branch = m_settings.branch;
  fetch.ssh_keys = m_settings.connection.ssh_keys;
  fetch.known_hosts = m_settings.connection.known_hosts;
  fetch.ca_file = m_settings.ca_file;
  fetch.cancelled = [this] { return m_inbox.stop_requested(); };
  std::string now = seconds_text(unix_seconds(m_clock.wall_now()));
  auto tip = fetch_mirror(m_paths.mirror, fetch);
  if (!tip) {
    spdlog::error("fetch: {}", tip.error().message());
    (void)m_store->set_values(
        {{"last_fetch_at", now}, {"last_fetch_error", tip.error().message()}});
    return true;  // the hosts still get the last desired state
  }
  (void)m_store->set_values(
      {{"last_fetch_at", now}, {"last_fetch_error", ""}, {"fetched_commit", *tip}});
  if (m_desired && *tip == m_desired->commit) return true;
  if (*tip == m_rejected_commit) {
    spdlog::warn("branch tip {} is still refused; applying {}", short_id(*tip),
                 m_desired ? short_id(m_desired->commit) : std::string("nothing"));
    return true;
  }
  std::string base = m_desired ? m_desired->commit : "";
  if (base.empty()) {
    auto values = m_store->values();
    if (values && values->count("desired_commit")) base = values->at("desired_commit");
  }
  GateVerdict verdict =
      check_and_load(m_paths.mirror, base, *tip, m_signers ? &*m_signers : nullptr);
  switch (verdict.kind) {
    case GateVerdict::Kind::kAccepted:
      accept(std::move(verdict.accepted), verdict.checked);
      return true;
    case GateVerdict::Kind::kRejected:
      reject(request, *tip, run_result::kRejected, verdict.reason);
      return false;
    case GateVerdict::Kind::kInvalid:
      reject(request, *tip, run_result::kInvalid, verdict.reason);
      return false;
  }
  return false;
}

void Daemon::accept(std::unique_ptr<LoadedCommit> commit, int checked) {
  spdlog::info(
      "commit {} accepted{}", short_id(commit->commit),
      checked > 0 ? " (" + std::to_string(checked) + " signed commit(s) checked)" : std::string());
  std::vector<std::string> names;
  std::set<std::string> name_set;
  for (const auto& host : commit->loaded.repo.hosts) {
    names.push_back(host.name);
    name_set.insert(host.name);
  }
  m_backoff.keep_only(name_set);
  m_rejected_commit.clear();
  if (!m_failed_commit.empty()) clear_failed("a new commit arrived");
  auto status = m_store->set_values({{"desired_commit", commit->commit},
                                     {"desired_commit_time", std::to_string(commit->commit_time)},
                                     {"desired_at", seconds_text(unix_seconds(m_clock.wall_now()))},
                                     {"rejected_commit", ""},
                                     {"rejected_kind", ""},
                                     {"rejected_reason", ""},
                                     {"rejected_at", ""}});
  if (status) status = m_store->sync_hosts(names);
  if (!status) spdlog::error("state store: {}", status.error().message());
  m_desired = std::move(commit);
}

void Daemon::reject(const RunRequest& request, const std::string& tip, const char* kind,
                    const std::string& reason) {
  spdlog::error("commit {} {}: {}; nothing of it is applied, the desired state stays at {}",
                short_id(tip), kind == std::string(run_result::kInvalid) ? "is invalid" : "refused",
                reason, m_desired ? short_id(m_desired->commit) : std::string("nothing"));
  m_rejected_commit = tip;
  auto run = m_store->record_run(request.describe(), tip, request.coalesced, kind, reason);
  auto status =
      run ? m_store->set_values({{"rejected_commit", tip},
                                 {"rejected_kind", kind},
                                 {"rejected_reason", reason},
                                 {"rejected_at", seconds_text(unix_seconds(m_clock.wall_now()))}})
          : Status(run.error());
  if (!status) spdlog::error("state store: {}", status.error().message());
}

std::vector<const state::Host*> Daemon::select_hosts(const RunRequest& request,
                                                     const LoadedCommit& target) {
  SteadyTime now = m_clock.now();
  std::set<std::string> due;
  if (request.retry_only()) {
    for (const auto& name : m_backoff.due(now))
      due.insert(name);
  }
  std::vector<const state::Host*> hosts;
  for (const auto& host : target.loaded.repo.hosts) {
    if (request.retry_only() && due.count(host.name) == 0) continue;
    // Hosts a failed rollout reached keep the state they reached.
    if (!m_failed_commit.empty() && m_failed_hosts.count(host.name) > 0) continue;
    if (!m_backoff.may_run(host.name, target.commit, now)) {
      spdlog::debug("{}: backing off after {} failure(s)", host.name,
                    m_backoff.failures(host.name));
      continue;
    }
    hosts.push_back(&host);
  }
  return hosts;
}

void Daemon::note_host(int64_t run_id, const std::string& commit, const HostOutcome& outcome,
                       const std::map<std::string, HostRecord>& prior) {
  auto before = prior.find(outcome.host);
  bool drift = before != prior.end() && before->second.status == "converged" &&
               before->second.applied_commit == commit && outcome.changes > 0;
  if (drift) {
    spdlog::warn("{}: drift: {} change(s) since it converged ({}){}", outcome.host, outcome.changes,
                 outcome.plan_summary, outcome.state == HostState::kConverged ? "; repaired" : "");
  }
  if (outcome.state == HostState::kFailed || outcome.state == HostState::kUnreachable) {
    m_backoff.record_failure(outcome.host, commit, m_clock.now());
    spdlog::warn("{}: {}: {} (retry in {}s)", outcome.host, host_state_name(outcome.state),
                 outcome.error,
                 std::chrono::duration_cast<std::chrono::seconds>(
                     *m_backoff.retry_at(outcome.host) - m_clock.now())
                     .count());
  } else {
    m_backoff.record_success(outcome.host);
    spdlog::info(
        "{}: {}{}", outcome.host, host_state_name(outcome.state),
        outcome.applied > 0 ? " (" + std::to_string(outcome.applied) + " applied)" : std::string());
  }
  auto status = m_store->record_host(run_id, commit, outcome, drift);
  if (status) {
    auto retry = m_backoff.retry_at(outcome.host);
    status = m_store->set_retry(outcome.host, m_backoff.failures(outcome.host),
                                retry ? std::optional<double>(wall_in(*retry)) : std::nullopt);
  }
  if (!status) spdlog::error("state store: {}", status.error().message());
}

void Daemon::run_selected(const RunRequest& request, const std::vector<const state::Host*>& hosts,
                          const std::shared_ptr<LoadedCommit>& target) {
  const std::string commit = target->commit;
  auto run_id = m_store->begin_run(request.describe(), commit, request.coalesced,
                                   static_cast<int>(hosts.size()));
  if (!run_id) {
    spdlog::error("state store: {}; run skipped", run_id.error().message());
    return;
  }
  std::map<std::string, HostRecord> prior;
  if (auto records = m_store->hosts()) {
    for (auto& record : *records)
      prior.emplace(record.name, std::move(record));
  }
  auto started = m_clock.now();
  Tally tally;
  std::set<std::string> touched;
  std::optional<std::string> rollout_stop;
  std::vector<std::string> left;
  RunInput input;
  input.hosts = hosts;
  input.source = target->source.get();
  input.settings = &m_settings;
  input.repo = &target->loaded.repo;
  input.stop_requested = [this] { return m_inbox.stop_requested(); };
  input.on_host_done = [&](const HostOutcome& outcome) {
    tally.add(outcome.state);
    touched.insert(outcome.host);
    note_host(*run_id, commit, outcome, prior);
  };
  input.on_rollout_stopped = [&](const std::string& reason, const std::vector<std::string>& names) {
    rollout_stop = reason;
    left = names;
  };
  m_deps.runner(input);
  size_t accounted = static_cast<size_t>(tally.total()) + left.size();
  bool stopped = accounted < hosts.size();
  std::string result = stopped ? run_result::kStopped : tally.result();
  std::string error =
      stopped ? "stopped before " + std::to_string(hosts.size() - accounted) + " host(s) started"
              : "";
  if (rollout_stop && !stopped) {
    result = run_result::kFailed;
    error = rollout_failure_text(*rollout_stop, left);
    spdlog::error("run {}: commit {}: {}", *run_id, short_id(commit), error);
  }
  if (auto status = m_store->finish_run(*run_id, result, error); !status) {
    spdlog::error("state store: {}", status.error().message());
  }
  double seconds = std::chrono::duration<double>(m_clock.now() - started).count();
  spdlog::info("run {} ({}) at {}: {} in {:.1f}s", *run_id, request.describe(), short_id(commit),
               tally.summary(), seconds);
  bool every_host = hosts.size() == target->loaded.repo.hosts.size();
  if (result == run_result::kConverged && every_host && !m_settings.dry_run) {
    (void)m_store->set_values({{"applied_commit", commit},
                               {"applied_commit_time", std::to_string(target->commit_time)},
                               {"applied_at", seconds_text(unix_seconds(m_clock.wall_now()))}});
  }
  bool is_desired = target == m_desired;
  bool already_good = m_last_good && m_last_good->commit == commit;
  if (rollout_stop && !stopped && is_desired && !already_good && !m_settings.dry_run) {
    mark_failed(error, touched);
  } else if (!rollout_stop && !stopped && is_desired && !request.retry_only() &&
             !m_settings.dry_run && !already_good) {
    m_last_good = m_desired;
    (void)m_store->set_value("last_good_commit", commit);
  }
  if (auto status = m_store->prune_runs(m_settings.keep_runs); !status) {
    spdlog::error("state store: {}", status.error().message());
  }
}

}  // namespace reconcile::daemon
