// `reconcile trigger`: ask the running daemon for a run now, through the
// unix socket in its state directory. tools/post-receive calls it after a
// push; it answers at once (the run happens in the daemon) and fails fast
// when no daemon listens, so a push is never held up.
//
// `reconcile retry`: the same socket, asking the daemon to roll out again a
// commit whose rollout stopped on failures (docs/daemon.md, Rollouts).

#include <cstdlib>
#include <iostream>

#include "reconciler/commands.h"
#include "reconciler/daemon/daemon.h"
#include "reconciler/daemon/trigger_socket.h"
#include "reconciler/exit_codes.h"

namespace reconcile {

namespace {

struct TriggerOptions {
  std::string state_dir;
  int timeout_seconds = 5;
  bool quiet = false;
};

// `request` is "trigger" or "retry" (trigger_socket.h).
int send_request(const TriggerOptions& options, const std::string& request) {
  auto paths = daemon::Daemon::paths_for(options.state_dir);
  auto answer =
      daemon::send_trigger(paths.socket, std::chrono::seconds(options.timeout_seconds), request);
  if (!answer) {
    std::cerr << "reconcile " << request << ": " << answer.error().message() << "\n";
    return kExitUnreachable;
  }
  if (*answer != "queued") {
    std::cerr << "reconcile " << request << ": the daemon answered: " << *answer << "\n";
    return kExitInvalidInput;
  }
  if (!options.quiet) {
    std::cout << (request == "retry" ? "reconcile: retry of the failed commit queued\n"
                                     : "reconcile: run queued\n");
  }
  return kExitOk;
}

CLI::App* add_socket_command(CLI::App& app, CommandContext& context, const std::string& name,
                             const std::string& help) {
  auto options = std::make_shared<TriggerOptions>();
  const char* state = std::getenv("RECONCILE_STATE");
  options->state_dir = state != nullptr && *state != '\0' ? state : "/var/lib/reconcile";
  CLI::App* command = app.add_subcommand(name, help);
  command->add_option("--state", options->state_dir,
                      "The daemon's state directory (default $RECONCILE_STATE, else "
                      "/var/lib/reconcile)");
  command->add_option("--timeout", options->timeout_seconds, "Seconds to wait for the answer")
      ->check(CLI::Range(1, 60))
      ->capture_default_str();
  command->add_flag("-q,--quiet", options->quiet, "Print nothing when the run is queued");
  command->callback(
      [options, name, &context] { context.exit_code = send_request(*options, name); });
  return command;
}

}  // namespace

void add_trigger_command(CLI::App& app, CommandContext& context) {
  add_socket_command(
      app, context, "trigger",
      "Ask the running `reconcile watch` to fetch and apply now (exit 4 when no daemon answers)");
}

void add_retry_command(CLI::App& app, CommandContext& context) {
  add_socket_command(app, context, "retry",
                     "Ask the running `reconcile watch` to roll out again the commit whose "
                     "rollout failed (held until a new commit otherwise; exit 4 when no daemon "
                     "answers)");
}

}  // namespace reconcile
