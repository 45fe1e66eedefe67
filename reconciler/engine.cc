// The per-host pipeline as a coroutine: connect, probe, plan, apply, probe
// again. Failures are recorded in the host's report and never thrown; the
// worker pool in run_hosts keeps `jobs` hosts in flight on one io_context.

#include "reconciler/engine.h"

#include <chrono>
#include <map>
#include <set>

#include "modules/module.h"
#include "modules/scripts.h"
#include "reconciler/base/strings.h"
#include "reconciler/health.h"

#include <spdlog/spdlog.h>

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

asio::awaitable<void> apply(const state::Host& host, transport::Transport& transport,
                            const EngineOptions& options, Progress& progress, HostReport& report) {
  std::map<std::string, ChangeOutcome> outcomes;
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
    auto start = Clock::now();
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
    }
    if (!change.key.empty()) outcomes[change.key] = result.outcome;
  }
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

}  // namespace

asio::awaitable<void> run_host(const state::Host& host, transport::Transport& transport,
                               const EngineOptions& options, Progress& progress,
                               HostReport& report) {
  auto start = Clock::now();
  report.name = host.name;
  report.address = host.address;
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
        co_await apply(host, transport, options, progress, report);
        progress.step(host.name, "checking");
        auto after = co_await probe(host, transport, options, report);
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
    co_await run_health_checks(host, transport, progress, report);
  }
  report.stats = transport.stats();
  co_await transport.close();
  report.seconds = seconds_since(start);
  std::string final_state = host_status_name(report.status);
  if (report.status == HostStatus::kChangesPending)
    final_state += " (" + summary_of(report.plan) + ")";
  if (!report.error.empty()) final_state += ": " + report.error;
  progress.done(host.name, final_state);
}

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
