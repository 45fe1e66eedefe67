#pragma once

#include <string>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/base/result.h"

namespace reconcile {

// The hosts whose names match any of `globs` (all hosts when empty).
// kInvalidArgument when a glob matches no host, so a typo never silently
// means "nothing to do".
Result<std::vector<const state::Host*>> select_hosts(const state::Repo& repo,
                                                     const std::vector<std::string>& globs);

}  // namespace reconcile
