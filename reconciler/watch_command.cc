// `reconcile watch`: the GitOps daemon (reconciler/daemon/daemon.h). This
// file turns flags (and an optional --config file) into DaemonSettings, and
// provides the daemon's HostRunner: a rollout (reconciler/rollout.h, the
// repository's `rollout` policy, as `reconcile` applies it) whose stages run
// the engine's run_host over the same transports as `reconcile`, at most
// --jobs hosts at a time, starting no new host once a stop is requested,
// each report turned into a redacted HostOutcome as soon as the host
// finishes.

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <set>
#include <thread>

#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/daemon/daemon.h"
#include "reconciler/engine.h"
#include "reconciler/exit_codes.h"
#include "reconciler/plan_output.h"
#include "reconciler/rollout.h"
#include "reconciler/secret_loading.h"

namespace reconcile {

namespace {

struct WatchOptions {
  daemon::DaemonSettings values;  // as the flags say; only given ones override the file
  std::string interval = "60s";
  std::string retry_initial = "10s";
  std::string retry_max = "15m";
  std::set<std::string> given;  // long names of the flags on the command line
};

// Engine steps go to the log at debug level; outcomes are logged by the
// daemon itself.
class LogProgress final : public Progress {
 public:
  void step(const std::string& host, const std::string& what) override {
    spdlog::debug("{}: {}", host, what);
  }
  void done(const std::string& host, const std::string& what) override {
    spdlog::debug("{}: {}", host, what);
  }
};

daemon::HostState state_of(HostStatus status) {
  switch (status) {
    case HostStatus::kConverged:
      return daemon::HostState::kConverged;
    case HostStatus::kChangesPending:
      return daemon::HostState::kDrifted;
    case HostStatus::kNotConverged:
    case HostStatus::kFailed:
    case HostStatus::kStale:  // only `reconcile apply PLAN.json`; the daemon plans afresh
      return daemon::HostState::kFailed;
    case HostStatus::kUnreachable:
      return daemon::HostState::kUnreachable;
  }
  return daemon::HostState::kFailed;
}

daemon::HostOutcome outcome_of(HostReport report, bool applied) {
  daemon::HostOutcome outcome;
  outcome.host = report.name;
  outcome.state = state_of(report.status);
  outcome.error = report.error;
  outcome.changes = static_cast<int>(report.plan.size());
  outcome.seconds = report.seconds;
  int create = 0, update = 0, remove = 0;
  for (const auto& change : report.plan) {
    create += change.action == modules::Action::kCreate ? 1 : 0;
    update += change.action == modules::Action::kUpdate ? 1 : 0;
    remove += change.action == modules::Action::kRemove ? 1 : 0;
  }
  outcome.plan_summary = std::to_string(create) + " to create, " + std::to_string(update) +
                         " to update, " + std::to_string(remove) + " to remove";
  for (const auto& result : report.results) {
    outcome.applied += result.outcome == ChangeOutcome::kApplied ? 1 : 0;
    outcome.failed += result.outcome == ChangeOutcome::kFailed ? 1 : 0;
  }
  // render_text never prints script input or sensitive field values.
  std::vector<HostReport> one;
  one.push_back(std::move(report));
  outcome.output = render_text(one, {false, applied});
  // A plan of thousands of changes would make every run's row huge; the
  // head says what a person needs, the full plan is one `--dry-run` away.
  constexpr size_t kMaxOutput = 256 * 1024;
  if (outcome.output.size() > kMaxOutput) {
    outcome.output.resize(kMaxOutput);
    outcome.output += "\n... (output cut at 256 KiB)\n";
  }
  return outcome;
}

ConnectionOptions connection_of(const daemon::ConnectionSettings& settings) {
  ConnectionOptions options;
  options.ssh_keys = settings.ssh_keys;
  options.known_hosts = settings.known_hosts;
  options.accept_new_host_keys = settings.accept_new_host_keys;
  options.no_agent = settings.no_agent;
  options.connect_timeout_seconds = settings.connect_timeout_seconds;
  options.command_timeout_seconds = settings.command_timeout_seconds;
  options.jobs = settings.jobs;
  return options;
}

// One rollout stage: its hosts, at most engine.jobs at a time, each
// recorded through on_host_done as soon as it finishes; no new host starts
// once a stop is requested.
std::vector<HostReport> run_stage(const std::vector<const state::Host*>& hosts,
                                  const TransportFactory& factory, const EngineOptions& engine,
                                  Progress& progress, const daemon::RunInput& input, bool applied) {
  std::vector<HostReport> reports;
  asio::io_context io;
  size_t next = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < hosts.size() && !input.stop_requested()) {
      const state::Host& host = *hosts[next++];
      HostReport report;
      auto transport = factory(io, host);
      if (!transport) {
        report.name = host.name;
        report.address = host.address;
        report.status = HostStatus::kUnreachable;
        report.error = transport.error().message();
      } else {
        co_await run_host(host, **transport, engine, progress, report);
      }
      input.on_host_done(outcome_of(report, applied));
      reports.push_back(std::move(report));
    }
  };
  int workers = std::max(1, std::min<int>(engine.jobs, static_cast<int>(hosts.size())));
  for (int i = 0; i < workers; ++i)
    asio::co_spawn(io, worker(), asio::detached);
  io.run();
  return reports;
}

void run_with_engine(const daemon::RunInput& input) {
  const daemon::DaemonSettings& settings = *input.settings;
  ConnectionOptions connection = connection_of(settings.connection);
  EngineOptions engine = engine_options(connection);
  engine.dry_run = settings.dry_run;
  engine.allow_destructive = settings.allow_destructive;
  // Decrypted in memory for this run's hosts only, from the accepted
  // commit's tree, and dropped when the run ends (secret_loading.h). The
  // identity is read again at every run, so a replaced key needs no reload.
  const auto& identities = settings.connection.identities;
  secrets::SecretStore secrets;
  if (input.source != nullptr) {
    secrets = load_secret_store(*input.source, input.hosts,
                                identities.empty() ? kDefaultControllerIdentity : identities[0]);
  }
  engine.secrets = &secrets;
  TransportFactory factory = make_transport_factory(connection);
  LogProgress progress;
  // The same staging as `reconcile`'s apply (reconciler/rollout.h); a dry
  // run plans every host at once, as on the command line.
  state::RolloutPolicy policy;
  if (input.repo != nullptr && !settings.dry_run) {
    auto effective = effective_policy(*input.repo, input.hosts, RolloutFlags{});
    if (effective) {
      policy = *effective;
    } else {
      spdlog::warn("rollout: {}; every host in one batch", effective.error().message());
    }
  }
  RolloutPlan plan = plan_rollout(policy, input.hosts);
  StageRunner stage_runner = [&](const std::vector<const state::Host*>& hosts) {
    return run_stage(hosts, factory, engine, progress, input, !settings.dry_run);
  };
  RolloutHooks hooks;
  hooks.stop_requested = input.stop_requested;
  // The pause between stages, cut short by a stop.
  hooks.sleep = [&input](std::chrono::seconds duration) {
    auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end && !input.stop_requested())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };
  hooks.note = [](const std::string& host, const std::string& what, bool) {
    spdlog::debug("{}: {}", host, what);
  };
  RolloutResult result = run_rollout(plan, stage_runner, hooks);
  bool stopped_on_failures = result.stopped && !result.left.empty() && !input.stop_requested();
  if (stopped_on_failures && input.on_rollout_stopped) {
    input.on_rollout_stopped(result.stop_reason, result.left);
  }
}

std::string default_state_dir() {
  const char* state = std::getenv("RECONCILE_STATE");
  return state != nullptr && *state != '\0' ? state : "/var/lib/reconcile";
}

// Flags over the config file over the defaults. Called at start and on
// SIGHUP (the file is read again; the flags stay as given).
Result<daemon::DaemonSettings> load_settings(const WatchOptions& options) {
  daemon::DaemonSettings settings;
  settings.state_dir = options.values.state_dir;
  settings.config_file = options.values.config_file;
  if (!settings.config_file.empty()) {
    TRY(daemon::apply_config_file(settings.config_file, settings));
  }
  daemon::apply_given(options.values, options.given, settings);
  return settings;
}

const std::set<std::string> kConnectionFlags = {
    "ssh-key", "known-hosts", "accept-new-host-keys", "no-agent", "connect-timeout",
    "timeout", "jobs"};

// `connection` holds the shared connection flags, which may come before or
// after `watch` on the command line (CommandContext).
Status finish_flags(WatchOptions& options, const ConnectionOptions& flags,
                    const CLI::App& command) {
  auto& values = options.values;
  auto interval = daemon::parse_duration(options.interval);
  auto retry_initial = daemon::parse_duration(options.retry_initial);
  auto retry_max = daemon::parse_duration(options.retry_max);
  if (!interval) return invalid_argument("--interval: expected a duration such as 60s, 5m, 1h");
  if (!retry_initial) return invalid_argument("--retry-initial: expected a duration such as 10s");
  if (!retry_max) return invalid_argument("--retry-max: expected a duration such as 15m");
  values.interval = *interval;
  values.retry.initial = *retry_initial;
  values.retry.max = *retry_max;
  auto& connection = values.connection;
  connection.ssh_keys = flags.ssh_keys;
  connection.known_hosts = flags.known_hosts;
  connection.accept_new_host_keys = flags.accept_new_host_keys;
  connection.no_agent = flags.no_agent;
  connection.connect_timeout_seconds = flags.connect_timeout_seconds;
  connection.command_timeout_seconds = flags.command_timeout_seconds;
  connection.jobs = flags.jobs;
  for (const char* name : {"repo",
                           "branch",
                           "interval",
                           "listen",
                           "require-signed",
                           "allowed-signers",
                           "webhook-secret-file",
                           "api-token-file",
                           "ssh-key",
                           "known-hosts",
                           "ca-file",
                           "identity",
                           "accept-new-host-keys",
                           "no-agent",
                           "connect-timeout",
                           "timeout",
                           "jobs",
                           "retry-initial",
                           "retry-max",
                           "dry-run",
                           "allow-destructive",
                           "keep-runs"}) {
    std::string flag = std::string("--") + name;
    bool on_parent = command.get_parent() != nullptr &&
                     command.get_parent()->get_option_no_throw(flag) != nullptr &&
                     command.get_parent()->count(flag) > 0;
    // Only the shared connection flags land in the same place before and
    // after `watch`; the top-level --dry-run, --identity, ... belong to
    // plain `reconcile`, and ignoring one (a real apply instead of a dry
    // run) would be worse than refusing it.
    if (on_parent && kConnectionFlags.count(name) == 0) {
      return invalid_argument(flag + ": give it after `watch` (reconcile watch " + flag + " ...)");
    }
    if (command.count(flag) > 0 || on_parent) options.given.insert(name);
  }
  return ok();
}

int run_watch(WatchOptions& options, const ConnectionOptions& connection, const CLI::App& command) {
  if (auto flags = finish_flags(options, connection, command); !flags) {
    std::cerr << "error: " << flags.error().message() << "\n";
    return kExitInvalidInput;
  }
  auto settings = load_settings(options);
  if (!settings) {
    std::cerr << "error: " << settings.error().message() << "\n";
    return kExitInvalidInput;
  }
  daemon::DaemonDependencies deps;
  deps.runner = run_with_engine;
  deps.reload = [&options] { return load_settings(options); };
  auto watcher = daemon::Daemon::open(std::move(*settings), std::move(deps));
  if (!watcher) {
    std::cerr << "error: " << watcher.error().message() << "\n";
    return kExitInvalidInput;
  }
  return (*watcher)->serve() == 0 ? kExitOk : kExitInvalidInput;
}

}  // namespace

void add_watch_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<WatchOptions>();
  auto& values = options->values;
  values.state_dir = default_state_dir();
  CLI::App* command = app.add_subcommand(
      "watch",
      "Run as the GitOps daemon: apply the branch's new commits, repair drift at an interval, "
      "record runs in a state store, serve status over HTTP (docs/daemon.md)");
  command->add_option("--repo", values.repo,
                      "Repository to watch: a path, file://, ssh://, user@host:path or https:// "
                      "URL (fetched into a bare mirror in the state directory)");
  command->add_option("--branch", values.branch, "Branch to apply")->capture_default_str();
  command
      ->add_option("--interval", options->interval,
                   "Reconcile every host this often even without new commits (drift repair)")
      ->capture_default_str();
  command->add_option("--state", values.state_dir,
                      "State directory: state store, mirror, trigger socket (default "
                      "$RECONCILE_STATE, else /var/lib/reconcile)");
  command->add_option("--config", values.config_file,
                      "YAML file with settings named like the long flags; flags win; re-read "
                      "on SIGHUP");
  command
      ->add_option("--listen", values.listen,
                   "HTTP address for health, metrics, the API and webhooks, or off")
      ->capture_default_str();
  command->add_flag("--require-signed", values.require_signed,
                    "Apply only commits whose every new commit carries a valid SSH signature by "
                    "an allowed signer (recommended)");
  command->add_option("--allowed-signers", values.allowed_signers,
                      "Allowed signers file (git's gpg.ssh.allowedSignersFile format)");
  command->add_option("--webhook-secret-file", values.webhook_secret_file,
                      "Shared secret for POST /hooks/git (X-Hub-Signature-256); no file: "
                      "webhook disabled");
  command->add_option("--api-token-file", values.api_token_file,
                      "Bearer token for POST /api/v1/reconcile; no file: disabled");
  command->add_option("--ca-file", values.ca_file,
                      "PEM file of the CAs trusted for an https:// --repo, instead of the "
                      "system's bundle (a private CA)");
  command
      ->add_option("--identity", values.connection.identities,
                   "The controller's age identity file, which decrypts the secrets hosts use "
                   "(in memory only; default /var/lib/reconcile/identity.txt)")
      ->allow_extra_args(false);
  command
      ->add_option("--retry-initial", options->retry_initial,
                   "First wait before a failed host is tried again (doubles to --retry-max)")
      ->capture_default_str();
  command->add_option("--retry-max", options->retry_max, "Longest wait between retries of a host")
      ->capture_default_str();
  command->add_flag("-n,--dry-run", values.dry_run,
                    "Plan only: hosts that differ show as drifted, nothing is changed");
  command->add_flag("--allow-destructive", values.allow_destructive,
                    "Also apply destructive changes");
  command->add_option("--keep-runs", values.keep_runs, "Runs kept in the state store")
      ->check(CLI::Range(10, 1000000))
      ->capture_default_str();
  add_connection_options(*command, context.connection);
  command->callback([options, command, &app, &context] {
    // A daemon's log is its record: info unless --log-level says otherwise.
    if (app.count("--log-level") == 0) spdlog::set_level(spdlog::level::info);
    context.exit_code = run_watch(*options, context.connection, *command);
  });
}

}  // namespace reconcile
