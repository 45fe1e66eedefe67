// packages: present / absent with apt (Debian, Ubuntu) or pacman (Arch); the
// package manager comes from the system facts. Facts come from one
// dpkg-query / pacman -Q call for all declared names. All installs are one
// change and all removals another, so the package manager runs at most twice
// per host and refreshes its cache at most once, only when a package to
// install is unknown to it.

#include "modules/module.h"
#include "modules/needed_packages.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

// dpkg-query names packages without the ":arch" qualifier unless multi-arch.
std::string base_name(const std::string& name) {
  return name.substr(0, name.find(':'));
}

std::string remove_script(const std::string& manager, const std::vector<std::string>& names) {
  if (manager != "apt" && manager != "pacman") {
    return "echo 'no supported package manager (apt or pacman) on this host' >&2\nexit 1\n";
  }
  if (manager == "pacman") return "pacman -R --noconfirm" + quoted_names(names) + "\n";
  return "export DEBIAN_FRONTEND=noninteractive\napt-get remove -q -y" + quoted_names(names) + "\n";
}

}  // namespace

std::vector<ProbeFragment> probe_packages(const state::Host& host) {
  if (host.packages.empty()) return {};
  std::vector<std::string> names;
  for (const auto& package : host.packages)
    names.push_back(package.name);
  std::string args = quoted_names(names);
  // One query for every declared package; a package unknown to the cache is
  // reported so that the install refreshes it first.
  // Only packages that are not installed are looked up in the cache (one
  // apt-cache call each is slow), to learn whether the index needs a refresh.
  std::string script =
      "if command -v dpkg-query >/dev/null 2>&1; then\n"
      "  installed=$(dpkg-query -W -f='${binary:Package} ${db:Status-Abbrev}\\n'" +
      args +
      " 2>/dev/null || true)\n"
      "  printf '%s\\n' \"$installed\" | while read -r n s; do [ -n \"$n\" ] && printf 'installed "
      "%s %s\\n' \"$n\" \"$s\"; done\n"
      "  for p in" +
      args +
      "; do\n"
      "    case \"\n$installed\" in *\"\n$p ii\"*) continue ;; esac\n"
      "    apt-cache show --no-all-versions -- \"$p\" >/dev/null 2>&1 || printf 'unknown %s\\n' "
      "\"$p\"\n"
      "  done\n"
      "elif command -v pacman >/dev/null 2>&1; then\n"
      "  pacman -Q" +
      args +
      " 2>/dev/null | while read -r n v; do printf 'installed %s ii\\n' \"$n\"; done\n"
      "  for p in" +
      args +
      "; do\n"
      "    pacman -Q -- \"$p\" >/dev/null 2>&1 || pacman -Si -- \"$p\" >/dev/null 2>&1 || printf "
      "'unknown %s\\n' \"$p\"\n"
      "  done\n"
      "fi\n";
  return {{"packages", script}};
}

Status parse_packages(const Sections& sections, const state::Host&, HostFacts& facts) {
  auto it = sections.find("packages");
  if (it == sections.end()) return ok();
  for (const auto& line : lines_of(it->second.text)) {
    auto words = words_of(line);
    if (words.size() >= 3 && words[0] == "installed") {
      // db:Status-Abbrev "ii " means installed; "rc" is removed with config.
      if (words[2].size() >= 2 && words[2][1] == 'i') {
        facts.packages.installed.insert(words[1]);
        facts.packages.installed.insert(base_name(words[1]));
      }
    } else if (words.size() == 2 && words[0] == "unknown") {
      facts.packages.unknown.insert(words[1]);
    } else {
      return data_loss("unexpected packages probe line '" + line + "'");
    }
  }
  return ok();
}

void diff_packages(const DiffContext& context, std::vector<Change>& changes) {
  std::vector<std::string> to_install;
  std::vector<std::string> to_remove;
  bool refresh = false;
  for (const auto& package : context.host.packages) {
    bool installed = context.facts.packages.installed.count(package.name) > 0;
    if (package.state == state::Presence::kPresent && !installed) {
      to_install.push_back(package.name);
      refresh = refresh || context.facts.packages.unknown.count(package.name) > 0;
    } else if (package.state == state::Presence::kAbsent && installed) {
      to_remove.push_back(package.name);
    }
  }
  const std::string& manager = context.facts.system.package_manager;
  if (!to_install.empty()) {
    Change change;
    change.module = "packages";
    change.resource = "packages (install)";
    change.key = "packages:install";
    change.action = Action::kCreate;
    change.phase = Phase::kPackages;
    for (const auto& name : to_install)
      change.fields.push_back(field(name, "not installed", "installed"));
    change.reason = std::to_string(to_install.size()) + " package(s) not installed" +
                    (refresh ? "; the package index will be refreshed first" : "");
    change.script = package_install_script(manager, to_install, refresh);
    changes.push_back(std::move(change));
  }
  if (!to_remove.empty()) {
    Change change;
    change.module = "packages";
    change.resource = "packages (remove)";
    change.key = "packages:remove";
    change.action = Action::kRemove;
    change.phase = Phase::kPackages;
    change.destructive = true;
    for (const auto& name : to_remove)
      change.fields.push_back(field(name, "installed", "removed"));
    change.reason = std::to_string(to_remove.size()) + " package(s) declared absent are installed";
    change.script = remove_script(manager, to_remove);
    changes.push_back(std::move(change));
  }
}

}  // namespace reconcile::modules
