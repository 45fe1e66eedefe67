// The root commit by a first-parent walk. libgit2 errors become Result
// errors here; handles are freed by unique_ptrs.

#include "reconciler/repo_identity.h"

#include <git2.h>

#include <memory>

namespace reconcile {

namespace {

struct Library {
  Library() { git_libgit2_init(); }
  ~Library() { git_libgit2_shutdown(); }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

struct RepositoryFree {
  void operator()(git_repository* p) const { git_repository_free(p); }
};
struct ObjectFree {
  void operator()(git_object* p) const { git_object_free(p); }
};
struct WalkFree {
  void operator()(git_revwalk* p) const { git_revwalk_free(p); }
};

std::string git_message() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

Result<std::string> root_of(const std::string& path, const std::string& revision) {
  Library library;
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
      0) {
    return not_found(path + " is not a git repository: " + git_message());
  }
  std::unique_ptr<git_repository, RepositoryFree> repo(raw_repo);
  if (git_repository_is_shallow(repo.get()) == 1) {
    return failed_precondition(
        path +
        " is a shallow clone: a saved plan names its repository by the first commit of "
        "the history, which a shallow clone does not have; fetch the full history "
        "(git fetch --unshallow)");
  }
  git_object* raw_object = nullptr;
  if (git_revparse_single(&raw_object, repo.get(), (revision + "^{commit}").c_str()) != 0) {
    return not_found("no commit " + revision + " in " + path + ": " + git_message());
  }
  std::unique_ptr<git_object, ObjectFree> object(raw_object);
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, repo.get()) != 0) return internal_error(git_message());
  std::unique_ptr<git_revwalk, WalkFree> walk(raw_walk);
  git_revwalk_simplify_first_parent(walk.get());
  if (git_revwalk_push(walk.get(), git_object_id(object.get())) != 0) {
    return internal_error(git_message());
  }
  git_oid oid{};
  git_oid root{};
  int status = 0;
  while ((status = git_revwalk_next(&oid, walk.get())) == 0)
    root = oid;
  if (status != GIT_ITEROVER) {
    return unavailable("cannot walk the history of " + path + ": " + git_message());
  }
  char hex[GIT_OID_HEXSZ + 1] = {};
  git_oid_tostr(hex, sizeof hex, &root);
  return std::string(hex);
}

}  // namespace

Result<std::string> repo_identity(const std::string& path, const std::string& commit) {
  return root_of(path, commit);
}

Result<std::string> head_identity(const std::string& path) {
  return root_of(path, "HEAD");
}

}  // namespace reconcile
