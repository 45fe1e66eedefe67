#pragma once

// Packages a module needs for itself (fail2ban, unattended-upgrades), as
// opposed to the packages a host declares: a probe fragment reporting their
// state, its parser, and the install script that the packages module uses
// too, so every install runs the same way.

#include <map>
#include <string>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::modules {

// The state of a needed package on the host.
enum class PackageState {
  kInstalled,
  kMissing,  // known to the package index, not installed
  kUnknown,  // not in the package index (the install refreshes it first)
};

// Probe lines "package NAME installed|missing|unknown", one per name (dpkg
// or pacman; without either every package is unknown). `names` are fixed
// package names of a module, quoted here.
std::string needed_packages_probe(const std::vector<std::string>& names);

// " 'a' 'b'": each name shell-quoted, each after a space (for command lines).
std::string quoted_names(const std::vector<std::string>& names);

// Parses one "package NAME STATE" line into `states`. kDataLoss when the
// line is malformed or names a state not listed above.
Status parse_needed_package_line(const std::string& line,
                                 std::map<std::string, PackageState>& states);

// Installs `names` with the host's package manager ("apt" or "pacman"; any
// other prints why and exits 1), refreshing the package index first when
// `refresh`. apt runs non-interactively, without recommends, and keeps
// existing configuration files.
std::string package_install_script(const std::string& manager,
                                   const std::vector<std::string>& names, bool refresh);

const char* package_state_name(PackageState state);  // "installed", "missing", "unknown"

}  // namespace reconcile::modules
