// The main job, `reconcile [--dry-run]`: load the repository, plan every
// selected host, print the plan and the rollout, and (without --dry-run)
// apply it stage by stage (reconciler/rollout.h).

#include <unistd.h>

#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/engine.h"
#include "reconciler/exit_codes.h"
#include "reconciler/host_selection.h"
#include "reconciler/plan_file.h"
#include "reconciler/plan_output.h"
#include "reconciler/repo_loading.h"
#include "reconciler/rollout.h"
#include "reconciler/rollout_output.h"
#include "reconciler/secret_loading.h"

namespace reconcile {

namespace {

struct ApplyOptions {
  std::vector<std::string> hosts;
  bool dry_run = false;
  bool json = false;
  std::string format = "text";               // --format: text, json or markdown
  std::string out;                           // --out: save the plan here (--dry-run)
  std::string state_dir = kDefaultStateDir;  // --state: holds the plan key
  bool allow_destructive = false;
  bool quiet = false;
  RolloutFlags rollout;
  std::string identity = kDefaultControllerIdentity;
};

int run_apply(const ApplyOptions& options, const CommandContext& context) {
  auto loaded_repo = load_valid_repo(context.repo);
  if (!loaded_repo) return kExitInvalidInput;
  const state::LoadResult& loaded = loaded_repo->loaded;
  auto hosts = select_hosts(loaded.repo, options.hosts);
  if (!hosts) {
    std::cerr << "error: " << hosts.error().message() << "\n";
    return kExitInvalidInput;
  }
  auto policy = effective_policy(loaded.repo, *hosts, options.rollout);
  if (!policy) {
    std::cerr << "error: " << policy.error().message() << "\n";
    return kExitInvalidInput;
  }
  RolloutPlan plan = plan_rollout(*policy, *hosts);
  std::optional<PlanWriter> writer;
  if (!options.out.empty()) {
    auto prepared =
        PlanWriter::prepare(options.out, options.state_dir, context.repo.path, loaded.repo);
    if (!prepared) {
      std::cerr << "error: " << prepared.error().message() << "\n";
      return kExitInvalidInput;
    }
    writer = std::move(*prepared);
  }
  EngineOptions engine = engine_options(context.connection);
  engine.dry_run = options.dry_run;
  engine.allow_destructive = options.allow_destructive;
  // Decrypted in memory only, for the hosts selected; see secret_loading.h.
  secrets::SecretStore secrets = load_secret_store(*loaded_repo->source, *hosts, options.identity);
  engine.secrets = &secrets;
  std::vector<std::string> names;
  for (const auto* host : *hosts)
    names.push_back(host->name);
  auto progress = make_progress(names, isatty(STDERR_FILENO) != 0, options.quiet);
  TransportFactory factory = make_transport_factory(context.connection);
  // A dry run plans every host at once; only an apply goes stage by stage.
  std::vector<HostReport> planned;
  RolloutResult rolled;
  if (options.dry_run) {
    planned = run_hosts(*hosts, factory, engine, *progress);
  } else {
    rolled = run_rollout(plan, engine_stage_runner(factory, engine, *progress),
                         progress_hooks(*progress));
    progress->close();
  }
  const std::vector<HostReport>& reports = options.dry_run ? planned : rolled.reports;
  const RolloutResult* result = options.dry_run ? nullptr : &rolled;
  if (options.json || options.format == "json") {
    nlohmann::json document =
        render_json(reports, loaded.repo.origin, loaded.repo.commit, !options.dry_run);
    document["rollout"] = rollout_json(plan, reports, result);
    std::cout << document.dump(2) << "\n";
  } else if (options.format == "markdown") {
    std::cout << render_markdown(reports, loaded.repo.commit, !options.dry_run);
  } else {
    OutputStyle style{want_color(), !options.dry_run};
    std::cout << render_text(reports, style) << render_rollout_text(plan, reports, result, style);
  }
  int code = options.dry_run ? exit_code_for(reports) : rollout_exit_code(rolled);
  if (writer) {
    if (Status saved =
            writer->write(loaded.repo, *hosts, reports, options.hosts, unix_now(), &secrets);
        !saved) {
      std::cerr << "error: the plan was not saved: " << saved.error().message() << "\n";
      code = worst_exit_code(code, kExitInvalidInput);
    }
  }
  return code;
}

void add_rollout_options(CLI::App& app, RolloutFlags& flags) {
  app.add_option("--canary", flags.canary,
                 "Canary host (HOST or role:NAME, repeatable), instead of rollout.canary")
      ->allow_extra_args(false);
  app.add_flag("--no-canary", flags.no_canary, "No canary stage, whatever rollout.canary says");
  app.add_option("--batch", flags.batch,
                 "Hosts per batch after the canaries: N or P% of the hosts in the run "
                 "(default rollout.batch, else all at once)");
  app.add_option("--max-failures", flags.max_failures,
                 "Failed hosts the rollout tolerates before it stops: N or P% "
                 "(default rollout.max_failures, else 0)");
  app.add_option("--pause", flags.pause,
                 "Wait between stages, e.g. 30s or 2m (default rollout.pause, else none)");
}

}  // namespace

void add_apply_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<ApplyOptions>();
  add_repo_options(app, context.repo);
  add_connection_options(app, context.connection);
  app.add_option("--host", options->hosts, "Only hosts whose name matches this glob (repeatable)")
      ->allow_extra_args(false);
  app.add_flag("-n,--dry-run", options->dry_run,
               "Print the plan and change nothing (exit 0: nothing to do, 2: changes pending)");
  app.add_flag("--json", options->json, "Print the plan (or the apply report) as JSON");
  app.add_option("--format", options->format, "text, json or markdown (for pull requests)")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  app.add_option("--out", options->out,
                 "With --dry-run: save the plan, signed, for `reconcile apply PLAN.json`");
  app.add_option("--state", options->state_dir, "State directory holding the plan key")
      ->capture_default_str();
  app.add_flag("--allow-destructive", options->allow_destructive,
               "Also apply destructive changes (removing users, packages, files; repartitioning)");
  app.add_flag("-q,--quiet", options->quiet, "No progress lines on stderr");
  add_rollout_options(app, options->rollout);
  app.add_option("--identity", options->identity,
                 "The controller's age identity file, which decrypts the secrets hosts use "
                 "(in memory only)")
      ->capture_default_str();
  app.callback([options, &context, &app] {
    if (!app.get_subcommands().empty()) return;
    if (!options->out.empty() && !options->dry_run) {
      throw CLI::ValidationError("--out", "saving a plan needs --dry-run");
    }
    context.exit_code = run_apply(*options, context);
  });
}

}  // namespace reconcile
