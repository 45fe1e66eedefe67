// `reconcile apply PLAN.json`: applies a saved plan exactly as it was
// reviewed. The plan file is checked first (signature, age, repository);
// then the plan's commit is loaded, and each host of the plan goes through
// the engine as always: one probe, then either the saved changes (when the
// host's relevant facts still match) or a refusal as stale. Other hosts
// proceed either way. `--replan` plans stale hosts afresh instead.

#include <unistd.h>

#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/engine.h"
#include "reconciler/exit_codes.h"
#include "reconciler/host_selection.h"
#include "reconciler/plan_apply.h"
#include "reconciler/plan_file.h"
#include "reconciler/plan_output.h"
#include "reconciler/repo_loading.h"
#include "reconciler/rollout.h"
#include "reconciler/rollout_output.h"
#include "reconciler/secret_loading.h"

namespace reconcile {

namespace {

struct PlanApplyOptions {
  std::string plan_file;
  std::string state_dir = kDefaultStateDir;
  std::string max_age = "24h";
  std::vector<std::string> hosts;
  std::string format = "text";
  bool replan = false;
  bool allow_destructive = false;
  bool dry_run = false;
  bool quiet = false;
  std::string identity = kDefaultControllerIdentity;
};

// The plan's hosts from its commit, narrowed by --host.
Result<std::vector<const state::Host*>> plan_hosts(const SavedPlan& plan, const state::Repo& repo,
                                                   const std::vector<std::string>& globs) {
  std::vector<const state::Host*> selected = TRY(select_hosts(repo, globs));
  std::vector<const state::Host*> hosts;
  for (const auto* host : selected) {
    if (plan.find_host(host->name) != nullptr) hosts.push_back(host);
  }
  for (const auto& saved : plan.hosts) {
    bool known = false;
    for (const auto& host : repo.hosts)
      known = known || host.name == saved.name;
    if (!known) return invalid_argument("host " + saved.name + " of the plan is not in its commit");
  }
  if (hosts.empty()) return invalid_argument("no host of the plan matches --host");
  return hosts;
}

void print_reports(const std::vector<HostReport>& reports, const PlanApplyOptions& options,
                   const state::Repo& repo) {
  bool applied = !options.dry_run;
  if (options.format == "json") {
    std::cout << render_json(reports, repo.origin, repo.commit, applied).dump(2) << "\n";
  } else if (options.format == "markdown") {
    std::cout << render_markdown(reports, repo.commit, applied);
  } else {
    std::cout << render_text(reports, {want_color(), applied});
  }
}

int run_plan_apply(const PlanApplyOptions& options, const CommandContext& context) {
  const std::string& repo_path = context.repo.path;
  if (context.repo.revision_given()) {
    std::cerr << "error: --rev does not apply to a saved plan: it is applied from the commit "
                 "it was made from\n";
    return kExitInvalidInput;
  }
  auto max_age = parse_duration(options.max_age);
  auto key = PlanKey::load(options.state_dir);
  if (!max_age || !key) {
    std::cerr << "error: " << (!max_age ? max_age.error() : key.error()).message() << "\n";
    return kExitInvalidInput;
  }
  auto plan = load_plan_file(options.plan_file, *key, repo_path, unix_now(), *max_age);
  if (!plan) {
    std::cerr << "error: refusing the plan: " << plan.error().message() << "\n";
    return kExitInvalidInput;
  }
  auto source = state::open_git_source(repo_path, plan->commit);
  if (!source) {
    std::cerr << "error: " << source.error().message() << "\n";
    return kExitInvalidInput;
  }
  state::LoadResult loaded = state::load_repo(**source);
  if (!loaded.ok()) {
    print_diagnostics(loaded.diagnostics, diagnostic_prefix({repo_path, plan->commit}));
    return kExitInvalidInput;
  }
  auto hosts = plan_hosts(*plan, loaded.repo, options.hosts);
  if (!hosts) {
    std::cerr << "error: " << hosts.error().message() << "\n";
    return kExitInvalidInput;
  }
  auto policy = effective_policy(loaded.repo, *hosts, RolloutFlags{});
  if (!policy) {
    std::cerr << "error: " << policy.error().message() << "\n";
    return kExitInvalidInput;
  }
  if (!options.quiet) {
    std::cerr << "applying the plan made at " << plan->created_at << " from " << loaded.repo.origin
              << "\n";
  }
  ReplannedHosts replanned;
  EngineOptions engine = engine_options(context.connection);
  engine.dry_run = options.dry_run;
  engine.allow_destructive = options.allow_destructive;
  // A plan holds no secret: they are decrypted again from the plan's commit,
  // in memory, and must match the digests the plan recorded.
  secrets::SecretStore secrets = load_secret_store(**source, *hosts, options.identity);
  engine.secrets = &secrets;
  engine.given_plan = given_plan_from(*plan, *key, options.replan, replanned, &secrets);
  std::vector<std::string> names;
  for (const auto* host : *hosts)
    names.push_back(host->name);
  auto progress = make_progress(names, isatty(STDERR_FILENO) != 0, options.quiet);
  TransportFactory factory = make_transport_factory(context.connection);
  int code = 0;
  std::vector<HostReport> reports;
  std::string rollout_text;
  if (options.dry_run) {
    reports = run_hosts(*hosts, factory, engine, *progress);
    code = exit_code_for(reports);
  } else {
    // The saved changes go out as any apply does: canaries first, then
    // batches, by the rollout policy of the plan's commit.
    RolloutPlan rollout = plan_rollout(*policy, *hosts);
    RolloutResult rolled = run_rollout(rollout, engine_stage_runner(factory, engine, *progress),
                                       progress_hooks(*progress));
    progress->close();
    reports = rolled.reports;
    code = rollout_exit_code(rolled);
    if (options.format == "text") {
      rollout_text = render_rollout_text(rollout, reports, &rolled, {want_color(), true});
    }
  }
  for (const auto& [host, reason] : replanned)
    std::cerr << host << ": the saved plan was refused (" << reason << "); planned afresh\n";
  print_reports(reports, options, loaded.repo);
  std::cout << rollout_text;
  return code;
}

}  // namespace

void add_plan_apply_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<PlanApplyOptions>();
  CLI::App* command = app.add_subcommand(
      "apply",
      "Apply a saved plan (reconcile --dry-run --out PLAN.json) exactly as it was reviewed; "
      "hosts that changed since are refused as stale");
  command->add_option("plan", options->plan_file, "The saved plan file")->required();
  command
      ->add_option("-C,--repo", context.repo.path,
                   "The desired-state git repository; must hold the plan's commit")
      ->capture_default_str();
  command->add_option("--state", options->state_dir, "State directory holding the plan key")
      ->capture_default_str();
  command
      ->add_option("--max-age", options->max_age,
                   "Refuse plans older than this (s, m, h or d, e.g. 90m)")
      ->capture_default_str();
  command->add_flag("--replan", options->replan,
                    "Plan stale hosts afresh from the plan's commit and apply that (unreviewed)");
  command->add_option("--host", options->hosts, "Only hosts of the plan matching this glob")
      ->allow_extra_args(false);
  add_connection_options(*command, context.connection);
  command->add_flag("--allow-destructive", options->allow_destructive,
                    "Also apply the plan's destructive changes");
  command->add_flag("-n,--dry-run", options->dry_run,
                    "Check the plan and each host's staleness, change nothing");
  command->add_option("--format", options->format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  command->add_flag("-q,--quiet", options->quiet, "No progress lines on stderr");
  command
      ->add_option("--identity", options->identity,
                   "The controller's age identity file, which decrypts the secrets hosts use "
                   "(in memory only)")
      ->capture_default_str();
  command->callback([options, &context] { context.exit_code = run_plan_apply(*options, context); });
}

}  // namespace reconcile
