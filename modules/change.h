#pragma once

// A change is one step of a plan: what a module found different between the
// desired state and the host's facts, why, and the script that fixes it. The
// plan is plain data: --dry-run prints it, apply runs the same changes.

#include <memory>
#include <string>
#include <vector>

#include "secrets/secure_buffer.h"

namespace reconcile::modules {

enum class Action { kCreate, kUpdate, kRemove };

// Apply order (DESIGN "The pipeline"). Changes run phase by phase; inside a
// phase, in the order the module produced them.
enum class Phase {
  kDisk = 0,
  kPackages,
  kEarlySecrets,  // secrets with needed_for_users
  kGroups,
  kUsers,
  kFiles,
  kSecrets,
  kSysctl,
  kServices,
  kRestarts,
  kSecurity,  // sshd and firewall, behind the lockout guard
};

// One field that differs: "shell: /bin/sh → /bin/bash".
struct FieldChange {
  std::string name;
  std::string before;  // "(none)" when absent
  std::string after;
  bool sensitive = false;  // before/after print as "(sensitive)"
};

struct Change {
  std::string module;    // "users"
  std::string resource;  // "user alice": what a person reads
  std::string key;       // "user:alice": what other changes refer to
  Action action = Action::kUpdate;
  Phase phase = Phase::kFiles;
  std::vector<FieldChange> fields;
  std::string reason;  // why, in a sentence ("user does not exist")
  bool destructive = false;
  bool guarded = false;  // runs under the lockout guard
  // Runs only if every change named here (by key) succeeded or was not
  // needed; a failed or skipped requirement skips this change.
  std::vector<std::string> requires_keys;
  // Runs only if at least one change named here succeeded (restarts).
  std::vector<std::string> triggered_by;
  // The remote script (without the common preamble) and the bytes streamed
  // after it on stdin (file content). `input` may be secret: it never
  // appears in plan output.
  std::string script;
  std::string input;
  // Secret bytes streamed instead of `input` (decrypted secrets). They live
  // in a SecureBuffer that wipes itself and never appear in any output.
  std::shared_ptr<const secrets::SecureBuffer> secret_input;
  bool sensitive = false;  // the change carries secret material
};

const char* action_symbol(Action action);  // "+", "~", "-"
const char* action_name(Action action);    // "create", "update", "remove"
const char* phase_name(Phase phase);

// A field change with "(none)" for empty before/after.
FieldChange field(std::string name, std::string before, std::string after);

}  // namespace reconcile::modules
