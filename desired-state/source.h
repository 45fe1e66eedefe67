#pragma once

// Where a desired-state repository is read from. Two implementations: a plain
// directory (for editing and tests) and one commit of a git repository, read
// straight from git objects so that a dirty working tree can never leak into
// what is applied. The loader sees only this interface.

#include <memory>
#include <string>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::state {

struct SourceEntry {
  std::string name;
  bool is_directory = false;
};

class RepoSource {
 public:
  virtual ~RepoSource() = default;

  // The bytes of a file, by repo-relative path with '/' separators.
  // kNotFound when absent or not a regular file.
  virtual Result<std::string> read(const std::string& path) const = 0;

  // Entries of a directory, sorted by name. A missing directory is an empty
  // list, not an error.
  virtual Result<std::vector<SourceEntry>> list(const std::string& directory) const = 0;

  // True when `path` names a regular file (or a blob in git).
  virtual bool is_file(const std::string& path) const = 0;

  // "directory /srv/infra" or "commit 1a2b3c4d5e6f of /srv/infra".
  virtual std::string describe() const = 0;

  // The full commit id when reading from git, empty for a directory.
  virtual std::string commit() const = 0;
};

// Reads files from a directory on the controller.
// Fails with kNotFound when `root` is not a directory.
Result<std::unique_ptr<RepoSource>> open_directory_source(const std::string& root);

// Reads the tree of one commit. `revision` is anything git rev-parse accepts
// (HEAD, a branch, a tag, a commit id prefix). Opens `path` as a repository,
// bare or not; never looks at its working tree or index.
// Errors: kNotFound (no repository, unknown revision), kInvalidArgument.
Result<std::unique_ptr<RepoSource>> open_git_source(const std::string& path,
                                                    const std::string& revision);

// A directory that contains a .git entry (or is a bare repository) is read
// from git at `revision`; anything else as a directory. An explicit revision
// on a non-git directory is an error.
Result<std::unique_ptr<RepoSource>> open_source(const std::string& path,
                                                const std::string& revision, bool revision_given);

}  // namespace reconcile::state
