// Staleness and re-materialisation for saved plans. The facts check comes
// first and covers every resource the host declares. Withheld bytes are
// checked second, per change: they are not facts of the host but come from
// the repository at the plan's commit (a secret is decrypted again), so they
// normally match. They differ when this reconcile renders them differently
// from the one that made the plan (another version of a module), and then
// what would run is not what was reviewed.

#include "reconciler/plan_apply.h"

#include "reconciler/base/strings.h"

namespace reconcile {

namespace {

const modules::Change* find_fresh(const std::vector<modules::Change>& fresh,
                                  const modules::Change& saved) {
  for (const auto& change : fresh) {
    if (change.key == saved.key && change.resource == saved.resource) return &change;
  }
  return nullptr;
}

// Restores what the plan withheld from `saved`, or says why it cannot.
Status restore_withheld(const SavedChange& saved, const std::vector<modules::Change>& fresh,
                        const PlanKey& key, modules::Change& change) {
  if (!saved.secret && !saved.withheld_script && !saved.withheld_input) return ok();
  const modules::Change* match = find_fresh(fresh, saved.change);
  if (saved.secret) {
    const std::string& name = saved.secret->name;
    if (match == nullptr || !match->secret_input) {
      return failed_precondition("secret " + name +
                                 " is no longer delivered by a fresh plan of the same commit");
    }
    if (!equal_digests(key.secret_digest(match->secret_input->view()), saved.secret->digest)) {
      return failed_precondition("secret " + name +
                                 " changed (its decrypted value differs from the reviewed plan's)");
    }
    change.secret_input = match->secret_input;
  }
  if (saved.withheld_script || saved.withheld_input) {
    if (match == nullptr) {
      return failed_precondition(saved.change.resource + " is no longer in a fresh plan");
    }
    bool same = (!saved.withheld_script ||
                 equal_digests(key.secret_digest(match->script), *saved.withheld_script)) &&
                (!saved.withheld_input ||
                 equal_digests(key.secret_digest(match->input), *saved.withheld_input));
    if (!same) {
      return failed_precondition(saved.change.resource +
                                 " (sensitive) differs from the reviewed plan");
    }
    if (saved.withheld_script) change.script = match->script;
    if (saved.withheld_input) change.input = match->input;
  }
  return ok();
}

}  // namespace

Result<std::vector<modules::Change>> saved_changes_for_host(
    const SavedPlan& plan, const SavedHost& saved, const state::Host& host,
    const modules::HostFacts& facts, const std::vector<modules::Change>& fresh, const PlanKey& key,
    const secrets::SecretStore* secrets) {
  std::string made = "plan made at " + plan.created_at;
  if (!saved.planned) {
    return failed_precondition(made + " has no changes for this host (it was " + saved.status +
                               (saved.error.empty() ? "" : ": " + saved.error) + ")");
  }
  if (saved.address != host.address) {
    return failed_precondition(made + " was for address " + saved.address);
  }
  FactDigests now = digest_facts(relevant_facts(host, facts, secrets));
  std::vector<std::string> changed = changed_facts(saved.facts, now);
  if (!changed.empty()) {
    return failed_precondition(made + "; since then: " + join(changed, ", "));
  }
  std::vector<modules::Change> changes;
  for (const auto& saved_change : saved.changes) {
    modules::Change change = saved_change.change;
    Status restored = restore_withheld(saved_change, fresh, key, change);
    if (!restored) return failed_precondition(made + "; since then: " + restored.error().message());
    changes.push_back(std::move(change));
  }
  return changes;
}

GivenPlan given_plan_from(const SavedPlan& plan, const PlanKey& key, bool replan,
                          ReplannedHosts& replanned, const secrets::SecretStore* secrets) {
  return [&plan, &key, replan, &replanned, secrets](
             const state::Host& host, const modules::HostFacts& facts,
             const std::vector<modules::Change>& fresh) -> Result<std::vector<modules::Change>> {
    const SavedHost* saved = plan.find_host(host.name);
    Result<std::vector<modules::Change>> changes =
        saved == nullptr
            ? Result<std::vector<modules::Change>>(failed_precondition("not in the plan"))
            : saved_changes_for_host(plan, *saved, host, facts, fresh, key, secrets);
    if (changes || !replan) return changes;
    replanned[host.name] = changes.error().message();
    return fresh;
  };
}

}  // namespace reconcile
