// `reconcile diff [-C PATH] REV1 REV2`: the model-level difference between
// the desired state of two commits, per host, offline. Exit 0 when nothing
// differs, 2 when something does, 1 when either commit cannot be loaded.

#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/commands.h"
#include "reconciler/exit_codes.h"
#include "reconciler/model_diff.h"
#include "reconciler/repo_loading.h"

namespace reconcile {

namespace {

struct DiffOptions {
  std::string from;
  std::string to;
  std::string format = "text";
};

struct LoadedCommit {
  std::unique_ptr<state::RepoSource> source;
  state::LoadResult loaded;
};

// Loads one commit; prints why not and returns nullopt when it cannot.
std::optional<LoadedCommit> load_commit(const std::string& path, const std::string& revision) {
  auto source = state::open_git_source(path, revision);
  if (!source) {
    std::cerr << "error: " << source.error().message() << "\n";
    return std::nullopt;
  }
  LoadedCommit commit{std::move(*source), {}};
  commit.loaded = state::load_repo(*commit.source);
  if (!commit.loaded.ok()) {
    RepoOptions repo{path, revision};
    print_diagnostics(commit.loaded.diagnostics, diagnostic_prefix(repo));
    std::cerr << commit.loaded.diagnostics.size() << " error(s) in " << commit.loaded.repo.origin
              << "\n";
    return std::nullopt;
  }
  return commit;
}

int run_diff(const DiffOptions& options, const CommandContext& context) {
  if (context.repo.revision_given()) {
    std::cerr << "error: --rev does not apply to diff: name both revisions\n";
    return kExitInvalidInput;
  }
  auto before = load_commit(context.repo.path, options.from);
  auto after = load_commit(context.repo.path, options.to);
  if (!before || !after) return kExitInvalidInput;
  ModelDiff diff =
      diff_models(before->loaded.repo, *before->source, after->loaded.repo, *after->source);
  if (options.format == "json") {
    std::cout << render_model_diff_json(diff);
  } else if (options.format == "markdown") {
    std::cout << render_model_diff_markdown(diff);
  } else {
    std::cout << render_model_diff_text(diff);
  }
  return diff.empty() ? kExitOk : kExitChangesPending;
}

}  // namespace

void add_diff_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<DiffOptions>();
  CLI::App* command = app.add_subcommand(
      "diff",
      "Compare the desired state of two commits per host, offline (exit 0: no difference, "
      "2: differences); secret values are never shown");
  command->add_option("-C,--repo", context.repo.path, "The desired-state git repository")
      ->capture_default_str();
  command->add_option("from", options->from, "The older revision (a commit, branch or tag)")
      ->required();
  command->add_option("to", options->to, "The newer revision")->required();
  command->add_option("--format", options->format, "text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  command->callback([options, &context] { context.exit_code = run_diff(*options, context); });
}

}  // namespace reconcile
