#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "desired-state/source.h"

namespace reconcile::state {

namespace fs = std::filesystem;

namespace {

class DirectorySource final : public RepoSource {
 public:
  explicit DirectorySource(fs::path root) : m_root(std::move(root)) {}

  Result<std::string> read(const std::string& path) const override {
    fs::path full = m_root / path;
    std::error_code ec;
    if (!fs::is_regular_file(full, ec)) return not_found(path + ": no such file");
    std::ifstream in(full, std::ios::binary);
    if (!in) return system_error(path + ": cannot open", errno);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return system_error(path + ": read failed", errno);
    return bytes.str();
  }

  Result<std::vector<SourceEntry>> list(const std::string& directory) const override {
    std::vector<SourceEntry> entries;
    fs::path full = m_root / directory;
    std::error_code ec;
    if (!fs::is_directory(full, ec)) return entries;
    for (fs::directory_iterator it(full, ec), end; !ec && it != end; it.increment(ec)) {
      entries.push_back({it->path().filename().string(), it->is_directory(ec)});
    }
    if (ec) return system_error(directory + ": cannot list", ec.value());
    std::sort(entries.begin(), entries.end(),
              [](const SourceEntry& a, const SourceEntry& b) { return a.name < b.name; });
    return entries;
  }

  bool is_file(const std::string& path) const override {
    std::error_code ec;
    return fs::is_regular_file(m_root / path, ec);
  }

  std::string describe() const override { return "directory " + m_root.string(); }
  std::string commit() const override { return {}; }

 private:
  fs::path m_root;
};

}  // namespace

Result<std::unique_ptr<RepoSource>> open_directory_source(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return not_found(root + ": not a directory");
  return std::unique_ptr<RepoSource>(std::make_unique<DirectorySource>(root));
}

}  // namespace reconcile::state
