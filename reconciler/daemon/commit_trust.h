#pragma once

// Commit trust: with --require-signed, every commit between the last applied
// one and a new tip must carry a valid SSH signature (git's gpg.format=ssh)
// in namespace "git" by a key of the allowed-signers file, valid at the
// commit's committer time (as `git verify-commit` checks it). The signed
// bytes are the commit object without its gpgsig header, which libgit2's
// git_commit_extract_signature returns. Reads git objects; touches no host.

#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/daemon/allowed_signers.h"

namespace reconcile::daemon {

struct CommitCheck {
  std::string commit;   // full id
  std::string summary;  // first line of the message
  std::string signer;   // the principals, when trusted
  std::string problem;  // why it is not trusted; empty when it is
};

struct RangeCheck {
  std::vector<CommitCheck> commits;  // newest first
  bool base_missing = false;         // the base is not in the repository: only the tip was checked

  // The first untrusted commit (oldest first, so the log names where the
  // trouble began), or nullptr when every commit is trusted.
  const CommitCheck* first_problem() const;
};

// Checks one commit. Errors: kNotFound (no such commit); signature problems
// are not errors but a CommitCheck with `problem` set.
Result<CommitCheck> check_commit(const std::string& repository, const std::string& commit,
                                 const AllowedSigners& signers);

// Checks every commit reachable from `tip` and not from `base`. With an
// empty `base` (nothing applied yet), only the tip is checked: its signer
// vouches for the tree it points at. More than `limit` commits is an error
// (kFailedPrecondition), as is an unknown tip (kNotFound).
Result<RangeCheck> check_commit_range(const std::string& repository, const std::string& base,
                                      const std::string& tip, const AllowedSigners& signers,
                                      size_t limit = 10000);

}  // namespace reconcile::daemon
