// The per-host pipeline as a coroutine: connect, probe, plan, apply, probe
// again. Failures are recorded in the host's report and never thrown; the
// worker pool in run_hosts keeps `jobs` hosts in flight on one io_context.

#include "reconciler/engine.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <set>

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/security.h"
#include "reconciler/base/strings.h"
#include "reconciler/health.h"
#include "reconciler/lockout_guard.h"

namespace reconcile {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The last `count` lines of a script's output, for error messages.
std::string tail_lines(const std::string& text, size_t count) {
  std::string trimmed(trim(text));
  size_t position = trimmed.size();
  for (size_t i = 0; i < count && position != std::string::npos && position > 0; ++i) {
    position = trimmed.rfind('\n', position - 1);
  }
  if (position == std::string::npos || position == 0) return trimmed;
  return trimmed.substr(position + 1);
}

asio::awaitable<Result<modules::HostFacts>> probe(const state::Host& host,
                                                  transport::Transport& transport,
                                                  const EngineOptions& options,
                                                  HostReport& report) {
  std::vector<modules::ProbeFragment> fragments = modules::probe_fragments(host);
  if (options.probe_only) {
    for (auto& fragment : modules::probe_inventory())
      fragments.push_back(std::move(fragment));
  }
  std::string nonce = modules::make_nonce();
  std::string script = modules::script_preamble() + modules::compose_probe(fragments, nonce);
  ++report.round_trips;
  CO_TRY_ASSIGN(output, co_await transport.run(script, {}, options.probe));
  if (output.exit_code != 0) {
    co_return failed_precondition("probe script exited with " + std::to_string(output.exit_code) +
                                  ": " + tail_lines(output.err, 5));
  }
  if (output.truncated) co_return data_loss("probe output exceeded the output limit");
  CO_TRY_ASSIGN(sections, modules::split_probe(output.out, nonce, fragments));
  co_return modules::parse_facts(sections, host);
}

// Replaces the fresh plan with the given one (a saved plan), if any. An
// error refuses the host: nothing runs, and the message says why.
Status take_given_plan(const state::Host& host, const EngineOptions& options, HostReport& report) {
  if (!options.given_plan) return ok();
  auto given = options.given_plan(host, report.facts, report.plan);
  report.plan.clear();
  if (!given) return std::move(given).error();
  report.plan = std::move(*given);
  return ok();
}

// Why a change must not run now, or empty when it may.
std::string blocked_reason(const modules::Change& change, const EngineOptions& options,
                           const std::map<std::string, ChangeOutcome>& outcomes) {
  if (change.destructive && !options.allow_destructive) {
    return "destructive; run with --allow-destructive to apply it";
  }
  for (const auto& key : change.requires_keys) {
    auto it = outcomes.find(key);
    if (it != outcomes.end() &&
        (it->second == ChangeOutcome::kFailed || it->second == ChangeOutcome::kSkipped)) {
      return "skipped because " + key + " was not applied";
    }
  }
  if (!change.triggered_by.empty()) {
    bool any = false;
    for (const auto& key : change.triggered_by) {
      auto it = outcomes.find(key);
      any = any || (it != outcomes.end() && it->second == ChangeOutcome::kApplied);
    }
    if (!any) return "not needed: nothing that triggers it was applied";
  }
  return {};
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", seconds);
  return text;
}

// The lockout guard of one apply (reconciler/lockout_guard.h).
struct GuardRun {
  bool armed = false;
  bool attempted = false;
  std::string token;
  std::string arm_error;
  Clock::time_point armed_at;
  Clock::time_point first_change_at;
  bool sshd_moved = false;             // the ssh change applied: sshd has the new settings
  std::vector<std::string> resources;  // of the guarded changes that ran
};

asio::awaitable<Status> arm_guard(const state::Host& host, transport::Transport& transport,
                                  const EngineOptions& options, GuardRun& guard,
                                  HostReport& report) {
  guard.attempted = true;
  if (!options.reconnect) {
    co_return failed_precondition("the lockout guard has no way to open a fresh connection");
  }
  guard.token = modules::make_nonce().substr(0, 16);
  ++report.round_trips;
  std::string script = modules::script_preamble() +
                       guard_arm_script(guard.token, host.security.lockout_timeout_seconds);
  CO_TRY_ASSIGN(output, co_await transport.run(script, {}, options.change));
  if (output.exit_code != 0) {
    co_return failed_precondition(tail_lines(output.err.empty() ? output.out : output.err, 5));
  }
  guard.armed = true;
  guard.armed_at = Clock::now();
  co_return ok();
}

asio::awaitable<Result<std::unique_ptr<transport::Transport>>> fresh_connection(
    const state::Host& host, int port, const EngineOptions& options) {
  auto executor = co_await asio::this_coro::executor;
  auto& io = static_cast<asio::io_context&>(asio::query(executor, asio::execution::context));
  CO_TRY_ASSIGN(fresh, options.reconnect(io, host, port));
  Status connected = co_await fresh->connect();
  if (!connected) {
    co_await fresh->close();
    co_return std::move(connected).error();
  }
  co_return std::move(fresh);
}

asio::awaitable<Result<std::string>> run_guard_script(transport::Transport& transport,
                                                      const std::string& body,
                                                      const EngineOptions& options,
                                                      HostReport& report) {
  ++report.round_trips;
  CO_TRY_ASSIGN(output,
                co_await transport.run(modules::script_preamble() + body, {}, options.probe));
  if (output.exit_code == 3) co_return failed_precondition(std::string(trim(output.err)));
  if (output.exit_code != 0) {
    co_return internal_error("guard script exited with " + std::to_string(output.exit_code) + ": " +
                             tail_lines(output.err, 3));
  }
  co_return std::string(trim(output.out));
}

// After the guarded changes: a brand-new connection with the new settings
// cancels the rollback and becomes the host's transport for the rest of the
// run; otherwise the controller waits for the rollback and checks the host
// is back as it was. Returns the new transport, or null (rolled back, or the
// outcome is in report.status / report.error).
asio::awaitable<std::unique_ptr<transport::Transport>> settle_guard(
    const state::Host& host, transport::Transport& transport, const EngineOptions& options,
    Progress& progress, GuardRun& guard, HostReport& report) {
  const int timeout = host.security.lockout_timeout_seconds;
  const int old_port = transport.port() != 0 ? transport.port() : host.ssh.port.value_or(22);
  // sshd has the new port only if its change applied (a rejected one put
  // the old files back); the fresh connection goes where sshd listens now.
  const int new_port = guard.sshd_moved ? modules::connect_ports(host).front() : old_port;
  const auto deadline = guard.armed_at + std::chrono::seconds(timeout);
  progress.step(host.name, "lockout guard: connecting again on port " + std::to_string(new_port));
  std::string last_error;
  // sshd rebinds its ports a moment after the reload: a refused connection
  // is tried again, until shortly before the rollback is due.
  for (int attempt = 0; attempt == 0 || Clock::now() + std::chrono::seconds(3) < deadline;
       ++attempt) {
    if (attempt > 0) co_await sleep_for(std::chrono::milliseconds(attempt < 5 ? 300 : 2000));
    auto fresh = co_await fresh_connection(host, new_port, options);
    if (!fresh) {
      last_error = fresh.error().message();
      if (fresh.error().code() == ErrorCode::kUnauthenticated) break;
      continue;
    }
    auto cancelled =
        co_await run_guard_script(**fresh, guard_cancel_script(guard.token), options, report);
    if (cancelled) {
      report.guard_confirm_seconds = seconds_since(guard.first_change_at);
      report.guard = "a fresh connection on port " + std::to_string(new_port) + " worked " +
                     format_seconds(report.guard_confirm_seconds) +
                     " after the change; rollback cancelled";
      spdlog::info("{}: lockout guard: {}", host.name, report.guard);
      co_return std::move(*fresh);
    }
    // The connection got through only once the host had started its
    // rollback: the new settings did not work in time.
    if (last_error.empty()) last_error = cancelled.error().message();
    co_await (*fresh)->close();
    break;
  }
  // Could not get through: the host rolls itself back at the deadline.
  progress.step(host.name, "lockout guard: waiting for the rollback");
  std::string why = "rolled back: could not reconnect on port " + std::to_string(new_port) +
                    " after applying " + join(guard.resources, ", ") + " (" + last_error + ")";
  report.status = HostStatus::kFailed;
  auto now = Clock::now();
  if (now < deadline + std::chrono::seconds(2)) {
    co_await sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline + std::chrono::seconds(2) - now));
  }
  const auto give_up = deadline + std::chrono::seconds(60);
  std::string state;
  std::string error;
  std::unique_ptr<transport::Transport> old;
  while (Clock::now() < give_up) {
    auto again = co_await fresh_connection(host, old_port, options);
    if (again) {
      auto status =
          co_await run_guard_script(**again, guard_status_script(guard.token), options, report);
      if (status) state = *status;
      if (state == "rolled-back") {
        old = std::move(*again);
        break;
      }
      error = status ? "the guard's state is " + state : status.error().message();
      co_await (*again)->close();
    } else {
      error = again.error().message();
    }
    co_await sleep_for(std::chrono::seconds(2));
  }
  if (!old) {
    report.error = why + "; the host did not come back with the old settings (port " +
                   std::to_string(old_port) + ") within " + std::to_string(timeout + 60) +
                   " s: " + error;
    co_return nullptr;
  }
  report.guard_rollback_seconds = seconds_since(guard.first_change_at);
  // Verify: sshd and the firewall are as the first probe found them.
  auto after = co_await probe(host, *old, options, report);
  std::string verdict;
  if (after) {
    auto before_facts = guarded_facts(host, report.facts);
    auto after_facts = guarded_facts(host, *after);
    std::vector<std::string> differ;
    for (const auto& [key, text] : before_facts) {
      auto it = after_facts.find(key);
      if (it == after_facts.end() || it->second != text) differ.push_back(key);
    }
    verdict = differ.empty() ? "sshd and the firewall are as before the run"
                             : "but differs from before the run in: " + join(differ, ", ");
  } else {
    verdict = "could not check its state: " + after.error().message();
  }
  report.error = why + "; the host restored its previous settings after the " +
                 std::to_string(timeout) + " s lockout timeout and answers on port " +
                 std::to_string(old_port) + " again (" + verdict + ")";
  report.guard =
      "rolled back " + format_seconds(report.guard_rollback_seconds) + " after the change";
  spdlog::warn("{}: lockout guard: {}", host.name, report.error);
  co_await old->close();
  co_return nullptr;
}

// Runs the plan. Returns the transport the rest of the run uses when the
// lockout guard replaced the connection (null: keep the old one).
asio::awaitable<std::unique_ptr<transport::Transport>> apply(const state::Host& host,
                                                             transport::Transport& transport,
                                                             const EngineOptions& options,
                                                             Progress& progress,
                                                             HostReport& report) {
  std::map<std::string, ChangeOutcome> outcomes;
  GuardRun guard;
  report.results.assign(report.plan.size(), ChangeResult{});
  for (size_t i = 0; i < report.plan.size(); ++i) {
    const modules::Change& change = report.plan[i];
    ChangeResult& result = report.results[i];
    progress.step(host.name, "applying " + std::to_string(i + 1) + " of " +
                                 std::to_string(report.plan.size()) + ": " + change.resource);
    std::string blocked = blocked_reason(change, options, outcomes);
    if (!blocked.empty()) {
      bool needless = !change.triggered_by.empty() && blocked.rfind("not needed", 0) == 0;
      result.outcome = needless ? ChangeOutcome::kNotRun : ChangeOutcome::kSkipped;
      result.message = blocked;
      if (!change.key.empty() && !needless) outcomes[change.key] = result.outcome;
      continue;
    }
    const bool guarded = change.guarded && options.lockout_guard;
    if (guarded && !guard.attempted) {
      Status armed = co_await arm_guard(host, transport, options, guard, report);
      if (!armed) guard.arm_error = armed.error().message();
    }
    if (guarded && !guard.armed) {
      result.outcome = ChangeOutcome::kFailed;
      result.message = "not run: the lockout guard could not be armed: " + guard.arm_error;
      if (!change.key.empty()) outcomes[change.key] = result.outcome;
      continue;
    }
    auto start = Clock::now();
    if (guarded) {
      if (guard.resources.empty()) guard.first_change_at = start;
      guard.resources.push_back(change.resource);
    }
    ++report.round_trips;
    std::string_view input = change.secret_input ? change.secret_input->view() : change.input;
    std::string script = modules::script_preamble() + change.script;
    auto output = co_await transport.run(script, input, options.change);
    result.seconds = seconds_since(start);
    if (!output) {
      result.outcome = ChangeOutcome::kFailed;
      result.message = output.error().message();
    } else if (output->exit_code != 0) {
      result.outcome = ChangeOutcome::kFailed;
      std::string detail = tail_lines(output->err.empty() ? output->out : output->err, 20);
      result.message =
          "exit " + std::to_string(output->exit_code) + (detail.empty() ? "" : ": " + detail);
    } else {
      result.outcome = ChangeOutcome::kApplied;
      if (guarded && change.module == "ssh") guard.sshd_moved = true;
    }
    if (!change.key.empty()) outcomes[change.key] = result.outcome;
  }
  if (!guard.armed) co_return nullptr;
  co_return co_await settle_guard(host, transport, options, progress, guard, report);
}

std::string summary_of(const std::vector<modules::Change>& changes) {
  int create = 0, update = 0, remove = 0;
  for (const auto& change : changes) {
    if (change.action == modules::Action::kCreate) ++create;
    if (change.action == modules::Action::kUpdate) ++update;
    if (change.action == modules::Action::kRemove) ++remove;
  }
  return std::to_string(create) + " to create, " + std::to_string(update) + " to update, " +
         std::to_string(remove) + " to remove";
}

void finish_apply(HostReport& report) {
  size_t failed = 0;
  std::string first_error;
  for (size_t i = 0; i < report.results.size(); ++i) {
    if (report.results[i].outcome == ChangeOutcome::kFailed) {
      if (failed++ == 0) first_error = report.plan[i].resource + ": " + report.results[i].message;
    }
  }
  if (failed > 0) {
    report.status = HostStatus::kFailed;
    report.error = std::to_string(failed) + " change(s) failed; first: " + first_error;
  } else if (!report.remaining.empty()) {
    report.status = HostStatus::kNotConverged;
    report.error = "not converged: " + std::to_string(report.remaining.size()) +
                   " change(s) still needed after apply (" + summary_of(report.remaining) + ")";
  } else {
    report.status = HostStatus::kConverged;
  }
}

asio::awaitable<void> finish_host(const state::Host& host, transport::Transport& transport,
                                  std::unique_ptr<transport::Transport> replacement,
                                  Clock::time_point start, Progress& progress, HostReport& report);

}  // namespace

asio::awaitable<void> run_host(const state::Host& host, transport::Transport& transport,
                               const EngineOptions& options, Progress& progress,
                               HostReport& report) {
  auto start = Clock::now();
  report.name = host.name;
  report.address = host.address;
  // The lockout guard may hand the run a new connection (new sshd port).
  std::unique_ptr<transport::Transport> replacement;
  auto active = [&]() -> transport::Transport& { return replacement ? *replacement : transport; };
  progress.step(host.name, "connecting");
  Status connected = co_await transport.connect();
  spdlog::debug("{}: connect {:.3f}s", host.name, seconds_since(start));
  if (!connected) {
    report.status = HostStatus::kUnreachable;
    report.error = connected.error().message();
  } else {
    progress.step(host.name, "probing");
    auto facts = co_await probe(host, transport, options, report);
    spdlog::debug("{}: probe done at {:.3f}s", host.name, seconds_since(start));
    if (!facts) {
      report.status = facts.error().code() == ErrorCode::kUnavailable ||
                              facts.error().code() == ErrorCode::kUnauthenticated
                          ? HostStatus::kUnreachable
                          : HostStatus::kFailed;
      report.error = "probe: " + facts.error().message();
    } else if (options.probe_only) {
      report.facts = std::move(*facts);
    } else {
      progress.step(host.name, "planning");
      report.facts = std::move(*facts);
      std::vector<std::string> refusals;
      report.plan = modules::diff_host({host, report.facts, &refusals, options.secrets});
      Status given = refusals.empty() ? take_given_plan(host, options, report) : ok();
      // The plan shows which changes run under the lockout guard.
      if (!options.lockout_guard) {
        for (auto& change : report.plan)
          change.guarded = false;
      }
      if (!refusals.empty()) {
        report.status = HostStatus::kFailed;
        report.error = "refused to plan: " + join(refusals, "; ");
        report.plan.clear();
      } else if (!given) {
        report.status = HostStatus::kStale;
        report.error = given.error().message();
      } else if (report.plan.empty()) {
        report.status = HostStatus::kConverged;
      } else if (options.dry_run) {
        report.status = HostStatus::kChangesPending;
      } else {
        replacement = co_await apply(host, transport, options, progress, report);
        if (report.status == HostStatus::kFailed) {
          co_await finish_host(host, transport, std::move(replacement), start, progress, report);
          co_return;
        }
        progress.step(host.name, "checking");
        auto after = co_await probe(host, active(), options, report);
        if (!after) {
          report.status = HostStatus::kFailed;
          report.error = "re-probe: " + after.error().message();
        } else {
          std::vector<std::string> after_refusals;
          report.remaining = modules::diff_host({host, *after, &after_refusals, options.secrets});
          finish_apply(report);
        }
      }
    }
  }
  // A converged host is checked on the same session, changes or not: the
  // rollout moves on only from hosts that work (reconciler/health.h).
  if (!options.dry_run && !options.probe_only && report.status == HostStatus::kConverged &&
      !host.health.empty()) {
    co_await run_health_checks(host, active(), progress, report);
  }
  co_await finish_host(host, transport, std::move(replacement), start, progress, report);
}

namespace {

asio::awaitable<void> finish_host(const state::Host& host, transport::Transport& transport,
                                  std::unique_ptr<transport::Transport> replacement,
                                  Clock::time_point start, Progress& progress, HostReport& report) {
  report.stats = transport.stats();
  co_await transport.close();
  if (replacement) {
    report.stats += replacement->stats();
    co_await replacement->close();
  }
  report.seconds = seconds_since(start);
  std::string final_state = host_status_name(report.status);
  if (report.status == HostStatus::kChangesPending)
    final_state += " (" + summary_of(report.plan) + ")";
  if (!report.error.empty()) final_state += ": " + report.error;
  progress.done(host.name, final_state);
}

}  // namespace

std::vector<HostReport> run_hosts(const std::vector<const state::Host*>& hosts,
                                  const TransportFactory& factory, const EngineOptions& options,
                                  Progress& progress) {
  std::vector<HostReport> reports(hosts.size());
  asio::io_context io;
  size_t next = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < hosts.size()) {
      size_t index = next++;
      const state::Host& host = *hosts[index];
      HostReport& report = reports[index];
      auto transport = factory(io, host);
      if (!transport) {
        report.name = host.name;
        report.address = host.address;
        report.status = HostStatus::kUnreachable;
        report.error = transport.error().message();
        progress.done(host.name, std::string("unreachable: ") + report.error);
        continue;
      }
      co_await run_host(host, **transport, options, progress, report);
    }
  };
  int workers = std::max(1, std::min<int>(options.jobs, static_cast<int>(hosts.size())));
  for (int i = 0; i < workers; ++i)
    asio::co_spawn(io, worker(), asio::detached);
  io.run();
  progress.close();
  return reports;
}

}  // namespace reconcile
