#include "reconciler/repo_loading.h"

#include <iostream>

namespace reconcile {

Result<std::unique_ptr<state::RepoSource>> open_repo(const RepoOptions& options) {
  return state::open_source(options.path, options.revision_or_head(), options.revision_given());
}

std::string diagnostic_prefix(const RepoOptions& options) {
  if (options.path.empty() || options.path == ".") return {};
  std::string prefix = options.path;
  if (prefix.back() != '/') prefix += '/';
  return prefix;
}

std::optional<LoadedRepo> load_valid_repo(const RepoOptions& options) {
  auto source = open_repo(options);
  if (!source) {
    std::cerr << "error: " << source.error().message() << "\n";
    return std::nullopt;
  }
  state::LoadResult loaded = state::load_repo(**source);
  if (!loaded.ok()) {
    print_diagnostics(loaded.diagnostics, diagnostic_prefix(options));
    std::cerr << loaded.diagnostics.size() << " error(s) in " << loaded.repo.origin
              << "; nothing was done\n";
    return std::nullopt;
  }
  return LoadedRepo{std::move(*source), std::move(loaded)};
}

void print_diagnostics(const Diagnostics& diagnostics, const std::string& prefix) {
  for (const auto& item : diagnostics.items()) {
    std::cerr << prefix << item.location.to_string() << ": error: " << item.message << "\n";
  }
}

}  // namespace reconcile
