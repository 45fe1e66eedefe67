#include "modules/needed_packages.h"

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::string quoted_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names)
    out += " " + shell_quote(name);
  return out;
}

std::string needed_packages_probe(const std::vector<std::string>& names) {
  // dpkg-query exits 1 for a package it has never seen; the cache is asked
  // only about packages that are not installed (apt-cache is slow).
  return "for p in" + quoted_names(names) +
         "; do\n"
         "  if command -v dpkg-query >/dev/null 2>&1; then\n"
         "    s=$(dpkg-query -W -f='${db:Status-Status}' \"$p\" 2>/dev/null || true)\n"
         "    if [ \"$s\" = installed ]; then s=installed\n"
         "    elif apt-cache show --no-all-versions -- \"$p\" >/dev/null 2>&1; then s=missing\n"
         "    else s=unknown; fi\n"
         "  elif command -v pacman >/dev/null 2>&1; then\n"
         "    if pacman -Q -- \"$p\" >/dev/null 2>&1; then s=installed\n"
         "    elif pacman -Si -- \"$p\" >/dev/null 2>&1; then s=missing\n"
         "    else s=unknown; fi\n"
         "  else\n"
         "    s=unknown\n"
         "  fi\n"
         "  printf 'package %s %s\\n' \"$p\" \"$s\"\n"
         "done\n";
}

Status parse_needed_package_line(const std::string& line,
                                 std::map<std::string, PackageState>& states) {
  auto words = words_of(line);
  if (words.size() != 3 || words[0] != "package") {
    return data_loss("unexpected package line '" + line + "'");
  }
  if (words[2] == "installed") {
    states[words[1]] = PackageState::kInstalled;
  } else if (words[2] == "missing") {
    states[words[1]] = PackageState::kMissing;
  } else if (words[2] == "unknown") {
    states[words[1]] = PackageState::kUnknown;
  } else {
    return data_loss("unexpected package state in '" + line + "'");
  }
  return ok();
}

std::string package_install_script(const std::string& manager,
                                   const std::vector<std::string>& names, bool refresh) {
  if (manager != "apt" && manager != "pacman") {
    return "echo 'no supported package manager (apt or pacman) on this host' >&2\nexit 1\n";
  }
  if (manager == "pacman") {
    return std::string("pacman -S --noconfirm --needed") + (refresh ? " --refresh" : "") +
           quoted_names(names) + "\n";
  }
  std::string script = "export DEBIAN_FRONTEND=noninteractive\n";
  if (refresh) script += "apt-get update -q\n";
  script +=
      "apt-get install -q -y --no-install-recommends -o Dpkg::Options::=--force-confdef "
      "-o Dpkg::Options::=--force-confold" +
      quoted_names(names) + "\n";
  return script;
}

const char* package_state_name(PackageState state) {
  switch (state) {
    case PackageState::kInstalled:
      return "installed";
    case PackageState::kMissing:
      return "missing";
    case PackageState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<Change> needed_packages_change(const std::string& manager,
                                             const std::map<std::string, PackageState>& states,
                                             const std::vector<std::string>& names) {
  std::vector<std::string> missing;
  bool refresh = false;
  Change change;
  for (const auto& name : names) {
    auto it = states.find(name);
    PackageState state = it == states.end() ? PackageState::kUnknown : it->second;
    if (state == PackageState::kInstalled) continue;
    missing.push_back(name);
    refresh = refresh || state == PackageState::kUnknown;
    change.fields.push_back(field(name, "not installed", "installed"));
  }
  if (missing.empty()) return std::nullopt;
  change.action = Action::kCreate;
  change.phase = Phase::kPackages;
  std::string listed = missing.back();
  if (missing.size() > 1) {
    listed =
        join(std::vector<std::string>(missing.begin(), missing.end() - 1), ", ") + " and " + listed;
  }
  change.reason = listed + (missing.size() == 1 ? " is" : " are") + " not installed" +
                  (refresh ? "; the package index will be refreshed first" : "");
  change.script = package_install_script(manager, missing, refresh);
  return change;
}

}  // namespace reconcile::modules
