#include "reconciler/daemon/commit_trust.h"

#include "desired-state/git_handles.h"
#include "reconciler/daemon/sshsig.h"

namespace reconcile::daemon {

using state::git_last_error;
using state::git_oid_string;
using state::GitCommitPtr;
using state::GitLibrary;
using state::GitObjectPtr;
using state::GitRemotePtr;
using state::GitRepositoryPtr;
using state::GitRevwalkPtr;

namespace {

// git buffers free themselves here so that no path leaks them.
struct GitBuffer {
  git_buf buffer = GIT_BUF_INIT;
  ~GitBuffer() { git_buf_dispose(&buffer); }
  std::string_view view() const { return {buffer.ptr, buffer.size}; }
};

Result<GitRepositoryPtr> open_repository(const std::string& path) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) {
    return not_found(path + ": not a git repository: " + git_last_error());
  }
  return GitRepositoryPtr(raw);
}

Result<git_oid> resolve(git_repository* repository, const std::string& revision) {
  git_object* raw = nullptr;
  if (git_revparse_single(&raw, repository, revision.c_str()) != 0) {
    return not_found("unknown commit '" + revision + "'");
  }
  GitObjectPtr object(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return not_found("'" + revision + "' is not a commit");
  }
  GitObjectPtr commit(peeled);
  return *git_object_id(commit.get());
}

std::string first_line(const char* message) {
  std::string text = message == nullptr ? "" : message;
  return text.substr(0, text.find('\n'));
}

CommitCheck check_one(git_repository* repository, const git_oid& id,
                      const AllowedSigners& signers) {
  CommitCheck check;
  check.commit = git_oid_string(&id);
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repository, &id) != 0) {
    check.problem = "cannot read the commit: " + git_last_error();
    return check;
  }
  GitCommitPtr commit(raw);
  check.summary = first_line(git_commit_message(commit.get()));
  int64_t committed_at = git_commit_time(commit.get());
  GitBuffer signature;
  GitBuffer signed_data;
  git_oid mutable_id = id;
  int extracted = git_commit_extract_signature(&signature.buffer, &signed_data.buffer, repository,
                                               &mutable_id, nullptr);
  if (extracted == GIT_ENOTFOUND) {
    check.problem = "commit is not signed";
    return check;
  }
  if (extracted != 0) {
    check.problem = "cannot read the signature: " + git_last_error();
    return check;
  }
  auto parsed = parse_ssh_signature(signature.view());
  if (!parsed) {
    check.problem = "signature is not a valid SSH signature: " + parsed.error().message();
    return check;
  }
  if (auto valid = verify_ssh_signature(*parsed, signed_data.view(), "git"); !valid) {
    check.problem = valid.error().message();
    return check;
  }
  auto signer = signers.find(parsed->key, "git", committed_at);
  if (!signer) {
    check.problem = signer.error().message();
    return check;
  }
  check.signer = *signer;
  return check;
}

}  // namespace

const CommitCheck* RangeCheck::first_problem() const {
  for (auto it = commits.rbegin(); it != commits.rend(); ++it) {
    if (!it->problem.empty()) return &*it;
  }
  return nullptr;
}

Result<CommitCheck> check_commit(const std::string& repository, const std::string& commit,
                                 const AllowedSigners& signers) {
  GitLibrary library;
  GitRepositoryPtr repo = TRY(open_repository(repository));
  git_oid id = TRY(resolve(repo.get(), commit));
  return check_one(repo.get(), id, signers);
}

Result<RangeCheck> check_commit_range(const std::string& repository, const std::string& base,
                                      const std::string& tip, const AllowedSigners& signers,
                                      size_t limit) {
  GitLibrary library;
  GitRepositoryPtr repo = TRY(open_repository(repository));
  git_oid tip_id = TRY(resolve(repo.get(), tip));
  RangeCheck range;
  if (base.empty()) {
    range.commits.push_back(check_one(repo.get(), tip_id, signers));
    return range;
  }
  auto base_id = resolve(repo.get(), base);
  if (!base_id) {
    range.base_missing = true;
    range.commits.push_back(check_one(repo.get(), tip_id, signers));
    return range;
  }
  git_revwalk* raw = nullptr;
  if (git_revwalk_new(&raw, repo.get()) != 0) {
    return internal_error("cannot walk commits: " + git_last_error());
  }
  GitRevwalkPtr walk(raw);
  git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
  if (git_revwalk_push(walk.get(), &tip_id) != 0 || git_revwalk_hide(walk.get(), &*base_id) != 0) {
    return internal_error("cannot walk commits: " + git_last_error());
  }
  git_oid id;
  while (git_revwalk_next(&id, walk.get()) == 0) {
    if (range.commits.size() >= limit) {
      return failed_precondition("more than " + std::to_string(limit) +
                                 " new commits since the last applied one");
    }
    range.commits.push_back(check_one(repo.get(), id, signers));
  }
  return range;
}

}  // namespace reconcile::daemon
