#pragma once

// Saved plans: `reconcile --dry-run --out PLAN.json` writes one, `reconcile
// apply PLAN.json` applies exactly it. A saved plan names the commit and the
// repository it was made from, and holds per host the changes (scripts and
// non-secret input included) and digests of the relevant facts they were
// computed from (reconciler/facts_hash.h). The document is signed with the
// plan key (reconciler/plan_key.h). The format is in docs/plan-json.md.
//
// Secret bytes never enter a plan. A change that streams secret bytes
// (Change::secret_input) is saved as a reference to the secret plus a keyed
// digest of its plaintext; a change marked sensitive keeps its script and
// input only as keyed digests. At apply time those bytes come again from
// planning the same commit (the secret is decrypted again), and must match
// the digests (reconciler/plan_apply.h).
//
// Everything here is pure except the clock value callers pass in.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "modules/change.h"
#include "reconciler/base/result.h"
#include "reconciler/facts_hash.h"
#include "reconciler/plan_key.h"
#include "reconciler/report.h"

namespace reconcile {

inline constexpr int kSavedPlanFormatVersion = 1;

// The secret a change streams, without its value.
struct SecretReference {
  std::string name;    // the declared secret ("gateway-token"), or the change key
  std::string source;  // "secrets/gateway-token.age"; empty when no declared secret matches
  std::string digest;  // PlanKey::secret_digest of the plaintext
};

struct SavedChange {
  modules::Change change;  // never has secret_input; sensitive fields read "(sensitive)"
  std::optional<SecretReference> secret;
  // For a change marked sensitive: its script and input are not stored, only
  // their keyed digests (and change.script / change.input are empty).
  std::optional<std::string> withheld_script;
  std::optional<std::string> withheld_input;
};

struct SavedHost {
  std::string name;
  std::string address;
  bool planned = false;  // false: no facts when the plan was made (unreachable, failed)
  std::string status;    // host_status_name() when the plan was made
  std::string error;     // why it was not planned
  std::string facts_hash;
  FactDigests facts;
  std::vector<SavedChange> changes;
};

struct SavedPlan {
  std::string created_at;  // UTC, "2024-05-01T12:00:00Z"
  std::string reconcile_version;
  std::string repo_identity;            // reconciler/repo_identity.h
  std::string origin;                   // "commit 1a2b3c4d5e6f of /srv/infra"
  std::string commit;                   // full commit id
  std::string key_id;                   // PlanKey::id() of the signing key
  std::vector<std::string> host_globs;  // the --host selection; empty: every host
  std::vector<SavedHost> hosts;

  const SavedHost* find_host(const std::string& name) const;
};

// Seconds since the epoch <-> "2024-05-01T12:00:00Z". Parsing is strict.
std::string format_utc(int64_t unix_seconds);
Result<int64_t> parse_utc(const std::string& text);

// Builds the plan of a dry run. `hosts` and `reports` are parallel. Fails
// (kInvalidArgument) only for a change that streams secret bytes without a
// key that names what it is. `secrets` is the run's decrypted secrets (for
// the relevant facts of delivered secrets; may be null).
Result<SavedPlan> make_saved_plan(const state::Repo& repo, const std::string& repo_identity,
                                  const std::vector<const state::Host*>& hosts,
                                  const std::vector<HostReport>& reports, const PlanKey& key,
                                  int64_t now, const secrets::SecretStore* secrets = nullptr);

// The signed JSON document ("hmac" over everything else).
std::string write_saved_plan(const SavedPlan& plan, const PlanKey& key);

// Reads a signed document: JSON syntax (errors as FILE:LINE:COL), kind and
// format version, the signature (another key, or modified), then every
// field. kInvalidArgument for a document that is not a saved plan,
// kFailedPrecondition for a newer format version, kDataLoss for a bad or
// missing signature, kPermissionDenied for another key.
Result<SavedPlan> read_saved_plan(std::string_view text, const std::string& file_name,
                                  const PlanKey& key);

// The unsigned parts, for tests and for read_saved_plan.
nlohmann::json saved_plan_json(const SavedPlan& plan);
Result<SavedPlan> saved_plan_from_json(const nlohmann::json& document);

// kFailedPrecondition when the plan is older than `max_age_seconds`, or made
// more than five minutes in the future (a wrong clock).
Status check_plan_age(const SavedPlan& plan, int64_t now, int64_t max_age_seconds);

// "24h", "90m", "3600s", "2d" -> seconds; kInvalidArgument otherwise.
Result<int64_t> parse_duration(const std::string& text);

}  // namespace reconcile
