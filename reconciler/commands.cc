#include "reconciler/commands.h"

namespace reconcile {

// The default command (plan and apply, no subcommand name) registers its
// options on the top-level app in main().
const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = {
      {"apply", add_plan_apply_command}, {"bootstrap", add_bootstrap_command},
      {"check", add_check_command},      {"diff", add_diff_command},
      {"disk", add_disk_command},        {"facts", add_facts_command},
      {"retry", add_retry_command},      {"secrets", add_secrets_command},
      {"status", add_status_command},    {"trigger", add_trigger_command},
      {"watch", add_watch_command},
  };
  return table;
}

void add_repo_options(CLI::App& command, RepoOptions& options) {
  command
      .add_option("-C,--repo", options.path,
                  "Desired-state repository: a git repository (read from --rev, never from "
                  "the working tree) or a plain directory")
      ->capture_default_str();
  command.add_option("--rev", options.revision,
                     "Commit to read (default HEAD) when the repository is a git repository");
}

}  // namespace reconcile
