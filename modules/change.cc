#include "modules/change.h"

namespace reconcile::modules {

const char* action_symbol(Action action) {
  switch (action) {
    case Action::kCreate:
      return "+";
    case Action::kUpdate:
      return "~";
    case Action::kRemove:
      return "-";
  }
  return "?";
}

const char* action_name(Action action) {
  switch (action) {
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kRemove:
      return "remove";
  }
  return "?";
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kDisk:
      return "disk";
    case Phase::kPackages:
      return "packages";
    case Phase::kEarlySecrets:
      return "secrets (needed for users)";
    case Phase::kGroups:
      return "groups";
    case Phase::kUsers:
      return "users";
    case Phase::kFiles:
      return "files";
    case Phase::kSecrets:
      return "secrets";
    case Phase::kSysctl:
      return "sysctl";
    case Phase::kServices:
      return "services";
    case Phase::kRestarts:
      return "restarts";
    case Phase::kSecurity:
      return "security";
  }
  return "?";
}

FieldChange field(std::string name, std::string before, std::string after) {
  if (before.empty()) before = "(none)";
  if (after.empty()) after = "(none)";
  return FieldChange{std::move(name), std::move(before), std::move(after), false};
}

}  // namespace reconcile::modules
