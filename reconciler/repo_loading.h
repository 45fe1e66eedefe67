#pragma once

// Opening and reporting on the desired-state repository for commands.

#include <memory>
#include <optional>
#include <string>

#include "desired-state/loader.h"
#include "desired-state/source.h"
#include "reconciler/base/diagnostics.h"
#include "reconciler/commands.h"

namespace reconcile {

// Opens the repository named by -C / --rev.
Result<std::unique_ptr<state::RepoSource>> open_repo(const RepoOptions& options);

// The prefix that turns repo-relative paths in diagnostics into paths an
// editor can open from the current directory ("" for -C .).
std::string diagnostic_prefix(const RepoOptions& options);

// Opens and loads the repository for a command that must not act on an
// invalid one. On any problem prints it to stderr (every diagnostic with
// file:line:col, then a count) and returns nullopt: the command exits 1.
struct LoadedRepo {
  std::unique_ptr<state::RepoSource> source;  // for what is read later (secrets)
  state::LoadResult loaded;
};
std::optional<LoadedRepo> load_valid_repo(const RepoOptions& options);

// Prints "path:line:col: error: message" lines to stderr.
void print_diagnostics(const Diagnostics& diagnostics, const std::string& prefix);

}  // namespace reconcile
