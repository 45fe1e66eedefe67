// The main job, `reconcile [--dry-run]`: load the repository, plan every
// selected host, print the plan, and (without --dry-run) apply it.

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
  std::vector<HostReport> reports =
      run_hosts(*hosts, make_transport_factory(context.connection), engine, *progress);
  if (options.json || options.format == "json") {
    std::cout
        << render_json(reports, loaded.repo.origin, loaded.repo.commit, !options.dry_run).dump(2)
        << "\n";
  } else if (options.format == "markdown") {
    std::cout << render_markdown(reports, loaded.repo.commit, !options.dry_run);
  } else {
    std::cout << render_text(reports, {want_color(), !options.dry_run});
  }
  int code = exit_code_for(reports);
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
