#include "reconciler/report.h"

#include "reconciler/exit_codes.h"

namespace reconcile {

const char* host_status_name(HostStatus status) {
  switch (status) {
    case HostStatus::kConverged:
      return "converged";
    case HostStatus::kChangesPending:
      return "changes_pending";
    case HostStatus::kNotConverged:
      return "not_converged";
    case HostStatus::kFailed:
      return "failed";
    case HostStatus::kUnreachable:
      return "unreachable";
    case HostStatus::kStale:
      return "stale";
  }
  return "unknown";
}

const char* change_outcome_name(ChangeOutcome outcome) {
  switch (outcome) {
    case ChangeOutcome::kNotRun:
      return "not_run";
    case ChangeOutcome::kApplied:
      return "applied";
    case ChangeOutcome::kFailed:
      return "failed";
    case ChangeOutcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

int exit_code_for(const std::vector<HostReport>& hosts) {
  int code = kExitOk;
  for (const auto& host : hosts) {
    switch (host.status) {
      case HostStatus::kConverged:
        break;
      case HostStatus::kChangesPending:
        code = worst_exit_code(code, kExitChangesPending);
        break;
      case HostStatus::kNotConverged:
      case HostStatus::kFailed:
      case HostStatus::kStale:
        code = worst_exit_code(code, kExitApplyFailed);
        break;
      case HostStatus::kUnreachable:
        code = worst_exit_code(code, kExitUnreachable);
        break;
    }
  }
  return code;
}

}  // namespace reconcile
