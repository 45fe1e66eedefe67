// `reconcile status [--json]`: what the daemon knows, read from its state
// store (read-only, so it works while the daemon runs): the desired, applied
// and refused commits, each host's status, recent runs and drift events.
// Whether the daemon is alive comes from its lock on the state directory.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "reconciler/commands.h"
#include "reconciler/daemon/daemon.h"
#include "reconciler/daemon/views.h"
#include "reconciler/exit_codes.h"

namespace reconcile {

namespace {

struct StatusOptions {
  std::string state_dir;
  bool json = false;
  int runs = 10;
};

// True while a daemon holds the state directory's lock.
bool daemon_alive(const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

Status print_status(const StatusOptions& options) {
  auto paths = daemon::Daemon::paths_for(options.state_dir);
  auto& clock = daemon::system_clock();
  auto store =
      TRY(daemon::StateStore::open(paths.store, daemon::StateStore::Mode::kReadOnly, clock));
  auto values = TRY(store.values());
  auto hosts = TRY(store.hosts());
  auto runs = TRY(store.runs(options.runs));
  auto drift = TRY(store.drift_events(5));
  nlohmann::json daemon_state = daemon::daemon_json(values, daemon_alive(paths.lock));
  if (options.json) {
    nlohmann::json document = {{"daemon", daemon_state},
                               {"hosts", nlohmann::json::array()},
                               {"runs", nlohmann::json::array()},
                               {"drift", nlohmann::json::array()}};
    for (const auto& host : hosts)
      document["hosts"].push_back(daemon::host_json(host));
    for (const auto& run : runs)
      document["runs"].push_back(daemon::run_json(run));
    for (const auto& event : drift)
      document["drift"].push_back(daemon::drift_json(event));
    std::cout << document.dump(2) << "\n";
  } else {
    std::cout << daemon::status_text(daemon_state, hosts, runs, drift,
                                     daemon::unix_seconds(clock.wall_now()));
  }
  return ok();
}

}  // namespace

void add_status_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<StatusOptions>();
  const char* state = std::getenv("RECONCILE_STATE");
  options->state_dir = state != nullptr && *state != '\0' ? state : "/var/lib/reconcile";
  CLI::App* command = app.add_subcommand(
      "status", "Show what `reconcile watch` knows: commits, hosts, recent runs and drift");
  command->add_option("--state", options->state_dir,
                      "The daemon's state directory (default $RECONCILE_STATE, else "
                      "/var/lib/reconcile)");
  command->add_flag("--json", options->json, "Print the status as JSON");
  command->add_option("--runs", options->runs, "How many recent runs to show")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  command->callback([options, &context] {
    auto status = print_status(*options);
    if (!status) {
      std::cerr << "error: " << status.error().message() << "\n";
      context.exit_code = kExitInvalidInput;
    }
  });
}

}  // namespace reconcile
