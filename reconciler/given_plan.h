#pragma once

// The engine's hook for saved plans (`reconcile apply PLAN.json`). After a
// host's one probe, the engine plans it as always and hands the fresh plan
// to this function, which returns the changes to run instead (the saved
// ones), or an error whose message says why the host is refused as stale.
// The engine then applies what it got exactly as it would apply its own
// plan, and re-probes. Implemented by reconciler/plan_apply.h.

#include <functional>
#include <vector>

#include "desired-state/model.h"
#include "modules/change.h"
#include "modules/facts.h"
#include "reconciler/base/result.h"

namespace reconcile {

using GivenPlan = std::function<Result<std::vector<modules::Change>>(
    const state::Host& host, const modules::HostFacts& facts,
    const std::vector<modules::Change>& fresh)>;

}  // namespace reconcile
