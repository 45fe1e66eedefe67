#pragma once

// What a run did, per host: the plan, the result of each change, what was
// left after the re-probe. Plain data for the printers, the state store and
// the JSON output.

#include <string>
#include <vector>

#include "modules/change.h"
#include "modules/facts.h"
#include "reconciler/transport/transport.h"

namespace reconcile {

enum class HostStatus {
  kConverged,       // nothing to change (or everything applied and re-probed empty)
  kChangesPending,  // dry run found changes
  kNotConverged,    // applied, but the re-probe still found changes
  kFailed,          // a change, the probe or the plan failed
  kUnreachable,     // could not connect (network, host key, auth)
  kStale,           // a saved plan was refused: the host changed since it was made
};

const char* host_status_name(HostStatus status);

enum class ChangeOutcome { kNotRun, kApplied, kFailed, kSkipped };

const char* change_outcome_name(ChangeOutcome outcome);

struct ChangeResult {
  ChangeOutcome outcome = ChangeOutcome::kNotRun;
  std::string message;  // why it failed or was skipped (stderr tail for failures)
  double seconds = 0;
};

// One health check after apply (reconciler/health.h).
struct HealthResult {
  std::string check;  // "tcp 127.0.0.1:443", "http http://127.0.0.1/ (expect 200)"
  std::string tool;   // what ran it on the host: "sh", "curl", "wget", "bash", "nc", "python3"
  bool passed = false;
  int attempts = 0;
  std::string message;  // why it failed: the last attempt's output, or the transport's error
  double seconds = 0;
};

struct HostReport {
  std::string name;
  std::string address;
  HostStatus status = HostStatus::kConverged;
  std::string error;  // for kFailed / kUnreachable / kNotConverged
  std::vector<modules::Change> plan;
  std::vector<ChangeResult> results;       // parallel to plan (apply only)
  std::vector<modules::Change> remaining;  // after the re-probe (apply only)
  std::vector<HealthResult> health;        // after apply, when the host declares checks
  modules::HostFacts facts;                // from the first probe
  // What the lockout guard did (empty when no guarded change ran), and its
  // figures: seconds from the first guarded change to the confirmed fresh
  // connection, or to the controller seeing the host rolled back; -1: n/a.
  std::string guard;
  double guard_confirm_seconds = -1;
  double guard_rollback_seconds = -1;
  transport::TransportStats stats;
  int round_trips = 0;  // scripts run on the host
  double seconds = 0;
};

// The process exit code for a set of host reports (DESIGN "Exit codes").
int exit_code_for(const std::vector<HostReport>& hosts);

}  // namespace reconcile
