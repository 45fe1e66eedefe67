// groups: create, change gid, remove (destructive: files keep a dangling gid).

#include "modules/module.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::vector<ProbeFragment> probe_groups(const state::Host& host) {
  if (host.groups.empty()) return {};
  // One getent for all: it prints the groups that exist and exits 2 if
  // any does not.
  std::string script = "getent group";
  for (const auto& group : host.groups)
    script += " " + shell_quote(group.name);
  return {{"groups", script + " || true\n"}};
}

Status parse_groups(const Sections& sections, const state::Host& host, HostFacts& facts) {
  for (const auto& group : host.groups)
    facts.groups[group.name] = std::nullopt;
  auto it = sections.find("groups");
  if (it == sections.end()) return ok();
  for (const auto& line : lines_of(it->second.text)) {
    auto fields = split(line, ':');
    if (fields.size() < 4) return data_loss("unexpected group entry '" + line + "'");
    if (facts.groups.count(fields[0]) == 0) continue;
    GroupFacts group;
    group.gid = static_cast<uint32_t>(std::strtoul(fields[2].c_str(), nullptr, 10));
    if (!fields[3].empty()) group.members = split(fields[3], ',');
    facts.groups[fields[0]] = group;
  }
  return ok();
}

void diff_groups(const DiffContext& context, std::vector<Change>& changes) {
  for (const auto& group : context.host.groups) {
    const auto& fact = context.facts.groups.at(group.name);
    Change change;
    change.module = "groups";
    change.resource = "group " + group.name;
    change.key = "group:" + group.name;
    change.phase = Phase::kGroups;
    std::string name = shell_quote(group.name);
    if (group.state == state::Presence::kAbsent) {
      if (!fact) continue;
      change.action = Action::kRemove;
      change.destructive = true;
      change.reason =
          "declared absent; files owned by gid " + std::to_string(fact->gid) + " keep that number";
      change.fields.push_back(field("gid", std::to_string(fact->gid), ""));
      change.script = "groupdel " + name + "\n";
    } else if (!fact) {
      change.action = Action::kCreate;
      change.reason = "group does not exist";
      std::string options;
      if (group.gid) {
        options += " --gid " + std::to_string(*group.gid);
        change.fields.push_back(field("gid", "", std::to_string(*group.gid)));
      }
      if (group.system) options += " --system";
      change.script = "groupadd" + options + " " + name + "\n";
    } else if (group.gid && *group.gid != fact->gid) {
      change.action = Action::kUpdate;
      change.fields.push_back(field("gid", std::to_string(fact->gid), std::to_string(*group.gid)));
      change.reason =
          "gid is " + std::to_string(fact->gid) + ", want " + std::to_string(*group.gid);
      change.script = "groupmod --gid " + std::to_string(*group.gid) + " " + name + "\n";
    } else {
      continue;
    }
    changes.push_back(std::move(change));
  }
}

}  // namespace reconcile::modules
