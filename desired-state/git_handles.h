#pragma once

// unique_ptr owners for libgit2 handles and the library's init/shutdown,
// shared by every libgit2 adapter (the commit reader of desired-state/, the
// daemon's mirror and commit trust). libgit2 never leaves those adapters:
// they turn its errors into Result errors.

#include <git2.h>

#include <memory>
#include <string>

namespace reconcile::state {

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* pointer) const { Free(pointer); }
};
template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitDeleter<T, Free>>;

using GitRepositoryPtr = GitPtr<git_repository, git_repository_free>;
using GitRemotePtr = GitPtr<git_remote, git_remote_free>;
using GitCommitPtr = GitPtr<git_commit, git_commit_free>;
using GitReferencePtr = GitPtr<git_reference, git_reference_free>;
using GitRevwalkPtr = GitPtr<git_revwalk, git_revwalk_free>;
using GitObjectPtr = GitPtr<git_object, git_object_free>;
using GitTreePtr = GitPtr<git_tree, git_tree_free>;
using GitTreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using GitBlobPtr = GitPtr<git_blob, git_blob_free>;

// Keeps libgit2 initialised for its lifetime (reference-counted by libgit2).
class GitLibrary {
 public:
  GitLibrary() { git_libgit2_init(); }
  ~GitLibrary() { git_libgit2_shutdown(); }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

// The message of libgit2's last error on this thread.
inline std::string git_last_error() {
  const git_error* error = git_error_last();
  return error != nullptr && error->message != nullptr ? error->message : "unknown libgit2 error";
}

inline std::string git_oid_string(const git_oid* oid) {
  char text[GIT_OID_HEXSZ + 1];
  git_oid_tostr(text, sizeof text, oid);
  return text;
}

}  // namespace reconcile::state
