// reconcile: a declarative, GitOps-style reconciler for Linux servers.
// main() parses the command line through the command table and runs the
// chosen command; the exit code follows DESIGN's table (0-4).

#include <CLI/CLI.hpp>
#include <iostream>

#include "reconciler/commands.h"
#include "reconciler/exit_codes.h"
#include "reconciler/logging.h"

int main(int argc, char** argv) {
  using namespace reconcile;
  CLI::App app{"reconcile: declarative, GitOps-style reconciler for Linux servers", "reconcile"};
  app.set_version_flag("--version", "reconcile 0.1.0");
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();
  app.require_subcommand(0, 1);
  app.footer(
      "Without a subcommand, reconcile plans every selected host and applies the plan\n"
      "(--dry-run only prints it). Exit codes: 0 nothing left to change, 1 invalid input,\n"
      "2 changes pending (--dry-run), 3 apply failed or did not converge, 4 host unreachable.");
  CommandContext context;
  add_apply_command(app, context);
  for (const auto& command : command_table())
    command.add(app, context);
  app.parse_complete_callback([&] {
    if (auto status = setup_logging(log_level); !status) {
      throw CLI::ValidationError("--log-level", status.error().message());
    }
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitInvalidInput;
  }
  return context.exit_code;
}
