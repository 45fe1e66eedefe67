#pragma once

// The CLI: every subcommand is one row of one table (commands.cc), so a
// reader can grep what exists. Each row's `add` function registers the
// subcommand's options on the parent app and a callback that stores the
// command's exit code in CommandContext.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "reconciler/options.h"

namespace reconcile {

struct CommandContext {
  int exit_code = 0;
  RepoOptions repo;              // -C, --rev
  ConnectionOptions connection;  // --ssh-key, --known-hosts, --jobs, ...
};

struct CommandSpec {
  const char* name;
  void (*add)(CLI::App& app, CommandContext& context);
};

const std::vector<CommandSpec>& command_table();

// Registers -C/--repo and --rev on a command.
void add_repo_options(CLI::App& command, RepoOptions& options);
// Registers --ssh-key, --known-hosts, --jobs, timeouts... on a command.
void add_connection_options(CLI::App& command, ConnectionOptions& options);

// Rows of the table, one file each.
void add_apply_command(CLI::App& app, CommandContext& context);  // the default: plan and apply
void add_bootstrap_command(CLI::App& app, CommandContext& context);
void add_check_command(CLI::App& app, CommandContext& context);
void add_facts_command(CLI::App& app, CommandContext& context);
void add_plan_apply_command(CLI::App& app, CommandContext& context);  // apply PLAN.json
void add_diff_command(CLI::App& app, CommandContext& context);
void add_disk_command(CLI::App& app, CommandContext& context);
void add_status_command(CLI::App& app, CommandContext& context);   // the daemon's state
void add_trigger_command(CLI::App& app, CommandContext& context);  // ask the daemon for a run
void add_retry_command(CLI::App& app, CommandContext& context);    // re-roll a failed commit
void add_watch_command(CLI::App& app, CommandContext& context);    // the GitOps daemon
void add_secrets_command(CLI::App& app, CommandContext& context);

}  // namespace reconcile
