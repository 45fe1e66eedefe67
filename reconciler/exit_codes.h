#pragma once

namespace reconcile {

// Process exit codes (DESIGN "Exit codes"). When several apply, the worst
// (highest) wins.
enum ExitCode : int {
  kExitOk = 0,              // done, nothing left to change
  kExitInvalidInput = 1,    // invalid repo, flags or files
  kExitChangesPending = 2,  // --dry-run found changes (diff found differences)
  kExitApplyFailed = 3,     // apply failed or did not converge on at least one host
  kExitUnreachable = 4,     // at least one host could not be reached
};

inline int worst_exit_code(int a, int b) {
  return a > b ? a : b;
}

}  // namespace reconcile
