#pragma once

// Which repository a saved plan belongs to. The identity is the first commit
// of the history (followed by first parents from the plan's commit): every
// clone of a repository has it, wherever it lives and whatever its remote
// URL, and an unrelated repository has another one. A shallow clone does not
// have it, so plans are not made from shallow clones (CI must fetch the full
// history). Reads the repository through libgit2; never touches a host.

#include <string>

#include "reconciler/base/result.h"

namespace reconcile {

// The identity of the repository at `path` as seen from `commit` (any
// revision). kNotFound when `path` is not a git repository or has no such
// commit; kFailedPrecondition for a shallow clone.
Result<std::string> repo_identity(const std::string& path, const std::string& commit);

// The identity from the repository's HEAD, for checking that a plan's
// commit belongs to the history this repository follows.
Result<std::string> head_identity(const std::string& path);

}  // namespace reconcile
