#include "modules/module.h"

#include <algorithm>

namespace reconcile::modules {

const std::vector<ModuleSpec>& module_table() {
  static const std::vector<ModuleSpec> table = {
      {"system", probe_system, parse_system, diff_nothing},
      {"disk", probe_disk, parse_disk, diff_disk},
      {"packages", probe_packages, parse_packages, diff_packages},
      {"groups", probe_groups, parse_groups, diff_groups},
      {"users", probe_users, parse_users, diff_users},
      {"files", probe_files, parse_files, diff_files},
      {"secrets", probe_secrets, parse_secrets, diff_secrets},
      {"sysctl", probe_sysctl, parse_sysctl, diff_sysctl},
      {"services", probe_services, parse_services, diff_services},
      {"fail2ban", probe_fail2ban, parse_fail2ban, diff_fail2ban},
      {"auto_updates", probe_auto_updates, parse_auto_updates, diff_auto_updates},
      {"ssh", probe_ssh, parse_ssh, diff_ssh},
      {"firewall", probe_firewall, parse_firewall, diff_firewall},
  };
  return table;
}

std::vector<ProbeFragment> probe_fragments(const state::Host& host) {
  std::vector<ProbeFragment> fragments;
  for (const auto& module : module_table()) {
    for (auto& fragment : module.probe(host))
      fragments.push_back(std::move(fragment));
  }
  return fragments;
}

Result<HostFacts> parse_facts(const Sections& sections, const state::Host& host) {
  HostFacts facts;
  for (const auto& module : module_table()) {
    TRY_CONTEXT(std::string("facts of ") + module.name, module.parse(sections, host, facts));
  }
  return facts;
}

std::vector<Change> diff_host(const DiffContext& context) {
  std::vector<Change> changes;
  for (const auto& module : module_table())
    module.diff(context, changes);
  add_restarts(context.host, changes);
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return static_cast<int>(a.phase) < static_cast<int>(b.phase);
  });
  return changes;
}

void diff_nothing(const DiffContext&, std::vector<Change>&) {}

}  // namespace reconcile::modules
