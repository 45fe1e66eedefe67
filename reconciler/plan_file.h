#pragma once

// Saved plan files for the commands: writing one after a dry run (`--out`)
// and reading one for `reconcile apply PLAN.json` with every check that
// comes before any host is contacted: the signature, the age, and the
// repository and commit it was made from. Touches the file system and the
// git repository, never a host.

#include <optional>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "reconciler/base/result.h"
#include "reconciler/plan_key.h"
#include "reconciler/report.h"
#include "reconciler/saved_plan.h"

namespace reconcile {

inline constexpr const char* kDefaultStateDir = "/var/lib/reconcile";

// Everything a dry run needs to save its plan, prepared before the run so
// that a missing key, a plain directory or a shallow clone fails before any
// host is contacted.
class PlanWriter {
 public:
  // kInvalidArgument when the repository is not read from git (a plan names
  // a commit); errors of PlanKey::load_or_create and repo_identity.
  static Result<PlanWriter> prepare(const std::string& out_path, const std::string& state_dir,
                                    const std::string& repo_path, const state::Repo& repo);

  // Builds, signs and writes the plan (through a temporary file and a
  // rename, so a reader never sees half a plan).
  Status write(const state::Repo& repo, const std::vector<const state::Host*>& hosts,
               const std::vector<HostReport>& reports, const std::vector<std::string>& host_globs,
               int64_t now, const secrets::SecretStore* secrets) const;

 private:
  PlanWriter(std::string out_path, PlanKey key, std::string identity)
      : m_out_path(std::move(out_path)), m_key(std::move(key)), m_identity(std::move(identity)) {}

  std::string m_out_path;
  PlanKey m_key;
  std::string m_identity;
};

// Reads `path` and checks it: signature under `key`, age at most
// `max_age_seconds` at `now`, and that `repo_path` is the repository it was
// made from and holds its commit.
Result<SavedPlan> load_plan_file(const std::string& path, const PlanKey& key,
                                 const std::string& repo_path, int64_t now,
                                 int64_t max_age_seconds);

// Seconds since the epoch (the one clock read of these commands).
int64_t unix_now();

}  // namespace reconcile
