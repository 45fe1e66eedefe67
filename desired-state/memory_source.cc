#include "desired-state/memory_source.h"

#include <set>

namespace reconcile::state {

Result<std::string> MemorySource::read(const std::string& path) const {
  auto it = m_files.find(path);
  if (it == m_files.end()) return not_found(path + ": no such file");
  return it->second;
}

Result<std::vector<SourceEntry>> MemorySource::list(const std::string& directory) const {
  std::string prefix = directory.empty() ? "" : directory + "/";
  std::set<std::pair<std::string, bool>> names;
  for (const auto& [path, bytes] : m_files) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = path.substr(prefix.size());
    size_t slash = rest.find('/');
    names.emplace(rest.substr(0, slash), slash != std::string::npos);
  }
  std::vector<SourceEntry> entries;
  for (const auto& [name, is_directory] : names)
    entries.push_back({name, is_directory});
  return entries;
}

}  // namespace reconcile::state
