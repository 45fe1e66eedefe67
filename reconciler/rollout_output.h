#pragma once

// The rollout in the run's output, after the hosts' plans (plan_output.h):
// for a dry run, the stages and the health checks each host would run (with
// the tool its facts choose); after an apply, what each stage did and, when
// the rollout stopped, why, which hosts were changed, which failed and why,
// and which were left untouched. JSON: the "rollout" member of the plan
// document (docs/plan-json.md).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reconciler/plan_output.h"
#include "reconciler/rollout.h"

namespace reconcile {

// Whether a plain run needs the section: more than one stage, or checks.
bool rollout_worth_showing(const RolloutPlan& plan);

// `result` is null for a dry run; `reports` are the run's host reports.
std::string render_rollout_text(const RolloutPlan& plan, const std::vector<HostReport>& reports,
                                const RolloutResult* result, const OutputStyle& style);

nlohmann::json rollout_json(const RolloutPlan& plan, const std::vector<HostReport>& reports,
                            const RolloutResult* result);

}  // namespace reconcile
