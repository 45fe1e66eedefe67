// Reads one commit's tree with libgit2. The working tree and index are never
// consulted, so uncommitted edits cannot leak into what is applied. libgit2
// handles are owned by unique_ptrs with their free functions; libgit2 errors
// become Result errors here and go no further.

#include <git2.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "desired-state/git_handles.h"
#include "desired-state/source.h"

namespace reconcile::state {

namespace {

using RepositoryPtr = GitRepositoryPtr;
using ObjectPtr = GitObjectPtr;
using CommitPtr = GitCommitPtr;
using TreePtr = GitTreePtr;
using TreeEntryPtr = GitTreeEntryPtr;
using BlobPtr = GitBlobPtr;

class GitSource final : public RepoSource {
 public:
  GitSource(std::unique_ptr<GitLibrary> library, RepositoryPtr repo, TreePtr tree, std::string path,
            std::string commit)
      : m_library(std::move(library)),
        m_repo(std::move(repo)),
        m_tree(std::move(tree)),
        m_path(std::move(path)),
        m_commit(std::move(commit)) {}

  Result<std::string> read(const std::string& path) const override {
    TreeEntryPtr entry = lookup(path);
    if (!entry || git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(entry.get()) == GIT_FILEMODE_LINK) {
      return not_found(path + ": no such file in commit " + m_commit.substr(0, 12));
    }
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, m_repo.get(), git_tree_entry_id(entry.get())) != 0) {
      return data_loss(path + ": cannot read blob: " + git_last_error());
    }
    BlobPtr blob(raw);
    auto* bytes = static_cast<const char*>(git_blob_rawcontent(blob.get()));
    return std::string(bytes, static_cast<size_t>(git_blob_rawsize(blob.get())));
  }

  Result<std::vector<SourceEntry>> list(const std::string& directory) const override {
    std::vector<SourceEntry> entries;
    const git_tree* tree = m_tree.get();
    TreePtr subtree;
    if (!directory.empty()) {
      TreeEntryPtr entry = lookup(directory);
      if (!entry || git_tree_entry_type(entry.get()) != GIT_OBJECT_TREE) return entries;
      git_tree* raw = nullptr;
      if (git_tree_lookup(&raw, m_repo.get(), git_tree_entry_id(entry.get())) != 0) {
        return data_loss(directory + ": cannot read tree: " + git_last_error());
      }
      subtree.reset(raw);
      tree = subtree.get();
    }
    size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      git_object_t type = git_tree_entry_type(entry);
      if (type != GIT_OBJECT_BLOB && type != GIT_OBJECT_TREE) continue;  // submodules
      entries.push_back({git_tree_entry_name(entry), type == GIT_OBJECT_TREE});
    }
    std::sort(entries.begin(), entries.end(),
              [](const SourceEntry& a, const SourceEntry& b) { return a.name < b.name; });
    return entries;
  }

  bool is_file(const std::string& path) const override {
    TreeEntryPtr entry = lookup(path);
    return entry && git_tree_entry_type(entry.get()) == GIT_OBJECT_BLOB &&
           git_tree_entry_filemode(entry.get()) != GIT_FILEMODE_LINK;
  }

  std::string describe() const override {
    return "commit " + m_commit.substr(0, 12) + " of " + m_path;
  }
  std::string commit() const override { return m_commit; }

 private:
  TreeEntryPtr lookup(const std::string& path) const {
    git_tree_entry* raw = nullptr;
    if (path.empty() || git_tree_entry_bypath(&raw, m_tree.get(), path.c_str()) != 0) {
      return TreeEntryPtr();
    }
    return TreeEntryPtr(raw);
  }

  std::unique_ptr<GitLibrary> m_library;
  RepositoryPtr m_repo;
  TreePtr m_tree;
  std::string m_path;
  std::string m_commit;
};

}  // namespace

Result<std::unique_ptr<RepoSource>> open_git_source(const std::string& path,
                                                    const std::string& revision) {
  auto library = std::make_unique<GitLibrary>();
  git_repository* raw_repo = nullptr;
  if (git_repository_open_ext(&raw_repo, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) !=
      0) {
    return not_found(path + ": not a git repository: " + git_last_error());
  }
  RepositoryPtr repo(raw_repo);
  git_object* raw_object = nullptr;
  if (git_revparse_single(&raw_object, repo.get(), revision.c_str()) != 0) {
    return not_found(path + ": unknown revision '" + revision + "': " + git_last_error());
  }
  ObjectPtr object(raw_object);
  git_object* raw_commit = nullptr;
  if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0) {
    return invalid_argument(path + ": revision '" + revision + "' does not name a commit");
  }
  CommitPtr commit(reinterpret_cast<git_commit*>(raw_commit));
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, commit.get()) != 0) {
    return data_loss(path + ": cannot read the tree of '" + revision + "': " + git_last_error());
  }
  char id[GIT_OID_HEXSZ + 1];
  git_oid_tostr(id, sizeof id, git_commit_id(commit.get()));
  return std::unique_ptr<RepoSource>(std::make_unique<GitSource>(
      std::move(library), std::move(repo), TreePtr(raw_tree), path, std::string(id)));
}

Result<std::unique_ptr<RepoSource>> open_source(const std::string& path,
                                                const std::string& revision, bool revision_given) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return not_found(path + ": not a directory");
  bool is_git =
      fs::exists(fs::path(path) / ".git", ec) ||
      (fs::exists(fs::path(path) / "HEAD", ec) && fs::is_directory(fs::path(path) / "objects", ec));
  if (is_git) return open_git_source(path, revision);
  if (revision_given) {
    return invalid_argument(path + ": --rev given, but this is not a git repository");
  }
  return open_directory_source(path);
}

}  // namespace reconcile::state
