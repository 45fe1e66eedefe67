#pragma once

// Loads a whole desired-state repository: reconcile.yaml, roles/, hosts/,
// disk-layouts/, checking secrets/ and files/ references. Pure: reads only
// through the RepoSource, never touches a host.

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "reconciler/base/diagnostics.h"

namespace reconcile::state {

struct LoadResult {
  Repo repo;
  // Every problem found, sorted by file, line and column. A repo with any
  // diagnostic must not be applied.
  Diagnostics diagnostics;

  bool ok() const { return diagnostics.empty(); }
};

LoadResult load_repo(const RepoSource& source);

// Parses one host file on its own (no roles, no repo references), for the
// fuzzer and for quick checks. Diagnostics as above.
LoadResult load_single_host(std::string_view yaml, const std::string& name);

}  // namespace reconcile::state
