#pragma once

// An in-memory RepoSource for tests and the fuzzer: a map from repo-relative
// path to bytes. Directories are implied by the paths.

#include <map>
#include <string>

#include "desired-state/source.h"

namespace reconcile::state {

class MemorySource final : public RepoSource {
 public:
  MemorySource() = default;
  explicit MemorySource(std::map<std::string, std::string> files) : m_files(std::move(files)) {}

  void set(const std::string& path, std::string bytes) { m_files[path] = std::move(bytes); }
  void remove(const std::string& path) { m_files.erase(path); }

  Result<std::string> read(const std::string& path) const override;
  Result<std::vector<SourceEntry>> list(const std::string& directory) const override;
  bool is_file(const std::string& path) const override { return m_files.count(path) > 0; }
  std::string describe() const override { return "memory"; }
  std::string commit() const override { return {}; }

 private:
  std::map<std::string, std::string> m_files;
};

}  // namespace reconcile::state
