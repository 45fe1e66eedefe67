#pragma once

// The gate a fetched commit passes before the daemon applies it: with
// --require-signed every commit since the last accepted one must be signed
// by an allowed signer (commit_trust.h), and the commit's tree must load
// without a single validation error. A commit that fails either is never
// applied; the last accepted commit stays the desired state. Reads git
// objects of the mirror; touches no host.

#include <memory>
#include <optional>
#include <string>

#include "desired-state/loader.h"
#include "desired-state/source.h"
#include "reconciler/daemon/allowed_signers.h"

namespace reconcile::daemon {

// One commit's desired state, loaded and valid.
struct LoadedCommit {
  std::string commit;
  int64_t commit_time = 0;  // committer time, unix seconds
  std::unique_ptr<state::RepoSource> source;
  state::LoadResult loaded;
};

struct GateVerdict {
  enum class Kind { kAccepted, kRejected, kInvalid };
  Kind kind = Kind::kRejected;
  std::string reason;                      // for kRejected / kInvalid: which commit and why
  int checked = 0;                         // commits whose signatures were checked
  std::unique_ptr<LoadedCommit> accepted;  // for kAccepted
};

// Checks `tip` of the mirror at `mirror`. `base` is the last accepted commit
// ("" when none); `signers` is null when signatures are not required.
GateVerdict check_and_load(const std::string& mirror, const std::string& base,
                           const std::string& tip, const AllowedSigners* signers);

// Loads an already accepted commit (daemon restart). Errors: kNotFound when
// the commit is not in the mirror; kInvalidArgument when it no longer loads.
Result<std::unique_ptr<LoadedCommit>> load_commit(const std::string& mirror,
                                                  const std::string& commit);

}  // namespace reconcile::daemon
