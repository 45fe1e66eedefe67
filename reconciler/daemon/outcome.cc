#include "reconciler/daemon/outcome.h"

namespace reconcile::daemon {

const char* host_state_name(HostState state) {
  switch (state) {
    case HostState::kPending:
      return "pending";
    case HostState::kConverged:
      return "converged";
    case HostState::kDrifted:
      return "drifted";
    case HostState::kFailed:
      return "failed";
    case HostState::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

}  // namespace reconcile::daemon
