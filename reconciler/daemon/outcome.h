#pragma once

// What the daemon records about a host after a run, in the state store's
// vocabulary. The engine's HostReport is turned into this by the runner (see
// runner.h), so the daemon and its store do not depend on the engine.

#include <string>

namespace reconcile::daemon {

enum class HostState {
  kPending,      // in the repository, not run yet
  kConverged,    // the host matches the desired state
  kDrifted,      // the host differs and was not changed (--dry-run)
  kFailed,       // a change failed, or the host did not converge
  kUnreachable,  // could not connect or authenticate
};

const char* host_state_name(HostState state);

struct HostOutcome {
  std::string host;
  HostState state = HostState::kConverged;
  std::string error;
  int changes = 0;  // changes in the plan (before apply)
  int applied = 0;
  int failed = 0;
  std::string plan_summary;  // "1 to create, 2 to update, 0 to remove"
  std::string output;        // the plan and results as text, secrets redacted
  double seconds = 0;
};

// Results of a run as stored in runs.result.
namespace run_result {
inline constexpr const char* kRunning = "running";
inline constexpr const char* kConverged = "converged";       // every host converged
inline constexpr const char* kDrifted = "drifted";           // --dry-run found changes
inline constexpr const char* kFailed = "failed";             // a host failed
inline constexpr const char* kUnreachable = "unreachable";   // a host could not be reached
inline constexpr const char* kInvalid = "invalid";           // the commit has validation errors
inline constexpr const char* kRejected = "rejected";         // a commit is not signed/trusted
inline constexpr const char* kFetchFailed = "fetch_failed";  // and no valid commit to fall back on
inline constexpr const char* kInterrupted = "interrupted";   // the daemon died during the run
inline constexpr const char* kStopped = "stopped";           // SIGTERM during the run
}  // namespace run_result

}  // namespace reconcile::daemon
