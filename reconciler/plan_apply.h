#pragma once

// Applying a saved plan, host by host: the host's relevant facts now must
// match the digests in the plan, or the host is refused as stale with a
// reason that names what changed ("plan made at 2024-05-01T12:00:00Z; since
// then: file /etc/app/conf1.ini changed"). A fresh host gets exactly the
// saved changes; bytes the plan withheld (secrets, sensitive scripts) are
// taken from the fresh plan of the same commit and must match the plan's
// keyed digests. Pure: the engine calls it after its probe.

#include <map>
#include <string>
#include <vector>

#include "reconciler/given_plan.h"
#include "reconciler/plan_key.h"
#include "reconciler/saved_plan.h"

namespace reconcile {

// The changes to run on `host` for `saved`, or kFailedPrecondition (stale)
// with the reason. `fresh` is the plan of the same commit from the facts
// just probed.
Result<std::vector<modules::Change>> saved_changes_for_host(
    const SavedPlan& plan, const SavedHost& saved, const state::Host& host,
    const modules::HostFacts& facts, const std::vector<modules::Change>& fresh, const PlanKey& key,
    const secrets::SecretStore* secrets = nullptr);

// Hosts that --replan planned afresh, with the reason their saved plan was
// refused. Filled by the callback below while the engine runs.
using ReplannedHosts = std::map<std::string, std::string>;

// The engine hook: saved_changes_for_host for each host of `plan`. A host
// the plan does not list is refused. With `replan`, a stale host gets the
// fresh plan instead, and is recorded in `replanned`. `plan`, `key` and
// `replanned` must outlive the engine run, and so must `secrets` (the run's
// decrypted secrets, may be null).
GivenPlan given_plan_from(const SavedPlan& plan, const PlanKey& key, bool replan,
                          ReplannedHosts& replanned, const secrets::SecretStore* secrets = nullptr);

}  // namespace reconcile
