#pragma once

// Packages a module needs for itself (fail2ban, unattended-upgrades), as
// opposed to the packages a host declares: a probe fragment reporting their
// state, its parser, and the install script that the packages module uses
// too, so every install runs the same way.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modules/change.h"
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

const char* package_state_name(PackageState state);

// The change that installs those of `names` that `states` (from the probe;
// a name not in it counts as unknown) does not report installed, in the
// packages phase, with a field per package and a reason naming them; or
// nothing when all are installed. The caller sets module, resource and key.
std::optional<Change> needed_packages_change(
    const std::string& manager, const std::map<std::string, PackageState>& states,
    const std::vector<std::string>& names);  // "installed", "missing", "unknown"

}  // namespace reconcile::modules
