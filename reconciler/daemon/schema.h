#pragma once

// The state store's schema as a list of migrations. The database's
// PRAGMA user_version is the number of migrations applied; opening a store
// applies the missing ones in order, each in one transaction with its
// version bump, so a crash leaves the store at a whole version. A store
// written by a newer reconcile (higher version) is refused, never altered.
//
// To change the schema, append a migration; never edit a released one.

#include <vector>

#include "reconciler/daemon/sqlite.h"

namespace reconcile::daemon {

struct Migration {
  int version;  // 1, 2, ...: the user_version after it ran
  const char* description;
  const char* sql;
};

const std::vector<Migration>& migrations();
int latest_schema_version();

Result<int> schema_version(Database& db);

// Applies migrations up to `target` (default: the latest).
// Errors: kFailedPrecondition when the store is newer than `target`, or a
// migration fails (the store stays at the last whole version).
Status migrate(Database& db, int target = -1);

}  // namespace reconcile::daemon
