// Comparing flattened models and phrasing each difference for a reviewer.

#include "reconciler/model_diff.h"

#include <algorithm>
#include <set>

#include "reconciler/base/strings.h"

namespace reconcile {

namespace {

const char* kArrow = " → ";

// "secrets.gateway-token.ciphertext" -> "gateway-token".
std::string secret_name(const std::string& key) {
  std::string rest = key.substr(std::string("secrets.").size());
  return rest.substr(0, rest.rfind('.'));
}

std::string describe(const ModelChange& change) {
  const std::string& key = change.key;
  ValueKind kind = change.action == ModelAction::kRemoved ? change.before.kind : change.after.kind;
  switch (kind) {
    case ValueKind::kCiphertext:
      return "secret " + secret_name(key) + " re-encrypted";
    case ValueKind::kSensitive:
      if (change.action == ModelAction::kAdded) return key + " set (value not shown)";
      if (change.action == ModelAction::kRemoved) return key + " removed";
      return key + " changed (value not shown)";
    case ValueKind::kContent:
      if (change.action == ModelAction::kChanged) {
        return key + " changed (" + change.before.text + kArrow + change.after.text + ")";
      }
      break;
    case ValueKind::kPlain:
      break;
  }
  switch (change.action) {
    case ModelAction::kAdded:
      return key + ": " + change.after.text;
    case ModelAction::kRemoved:
      return key + ": " + change.before.text;
    case ModelAction::kChanged:
      return key + ": " + change.before.text + kArrow + change.after.text;
  }
  return key;
}

ModelChange make_change(ModelAction action, const std::string& key, ModelValue before,
                        ModelValue after) {
  ModelChange change{action, key, std::move(before), std::move(after), {}};
  change.description = describe(change);
  return change;
}

}  // namespace

std::vector<ModelChange> diff_flat(const FlatModel& before, const FlatModel& after) {
  std::vector<ModelChange> changes;
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end()) {
      // A secret that goes away shows through its other keys; "re-encrypted"
      // only makes sense for a secret on both sides.
      if (value.kind != ValueKind::kCiphertext)
        changes.push_back(make_change(ModelAction::kRemoved, key, value, {}));
    } else if (!(it->second == value)) {
      changes.push_back(make_change(ModelAction::kChanged, key, value, it->second));
    }
  }
  for (const auto& [key, value] : after) {
    if (before.count(key) == 0 && value.kind != ValueKind::kCiphertext)
      changes.push_back(make_change(ModelAction::kAdded, key, {}, value));
  }
  std::sort(changes.begin(), changes.end(),
            [](const ModelChange& a, const ModelChange& b) { return a.key < b.key; });
  return changes;
}

std::vector<ModelChange> diff_roles(const std::vector<std::string>& before,
                                    const std::vector<std::string>& after) {
  std::vector<ModelChange> changes;
  std::set<std::string> old_roles(before.begin(), before.end());
  std::set<std::string> new_roles(after.begin(), after.end());
  for (const auto& role : after) {
    if (old_roles.count(role) == 0) {
      ModelChange change{ModelAction::kAdded, "roles", {}, {role, ValueKind::kPlain}, {}};
      change.description = "role " + role + " added";
      changes.push_back(change);
    }
  }
  for (const auto& role : before) {
    if (new_roles.count(role) == 0) {
      ModelChange change{ModelAction::kRemoved, "roles", {role, ValueKind::kPlain}, {}, {}};
      change.description = "role " + role + " removed";
      changes.push_back(change);
    }
  }
  if (changes.empty() && before != after) {
    // Same roles, another merge order: later roles win, so this can matter.
    ModelChange change{ModelAction::kChanged,
                       "roles",
                       {join(before, ", "), ValueKind::kPlain},
                       {join(after, ", "), ValueKind::kPlain},
                       {}};
    change.description = "roles reordered: " + change.before.text + kArrow + change.after.text;
    changes.push_back(change);
  }
  return changes;
}

ModelDiff diff_models(const state::Repo& before, const state::RepoSource& before_source,
                      const state::Repo& after, const state::RepoSource& after_source) {
  ModelDiff diff;
  diff.from = before.commit.empty() ? before.origin : before.commit;
  diff.to = after.commit.empty() ? after.origin : after.commit;
  std::map<std::string, const state::Host*> old_hosts, new_hosts;
  for (const auto& host : before.hosts)
    old_hosts[host.name] = &host;
  for (const auto& host : after.hosts)
    new_hosts[host.name] = &host;
  std::set<std::string> names;
  for (const auto& [name, host] : old_hosts)
    names.insert(name);
  for (const auto& [name, host] : new_hosts)
    names.insert(name);
  for (const auto& name : names) {
    auto old_it = old_hosts.find(name);
    auto new_it = new_hosts.find(name);
    HostDiff host{name, ModelAction::kChanged, {}, {}};
    if (old_it == old_hosts.end()) {
      host.action = ModelAction::kAdded;
      host.roles = new_it->second->roles;
    } else if (new_it == new_hosts.end()) {
      host.action = ModelAction::kRemoved;
      host.roles = old_it->second->roles;
    } else {
      host.changes = diff_roles(old_it->second->roles, new_it->second->roles);
      for (auto& change : diff_flat(flatten_host(*old_it->second, before_source),
                                    flatten_host(*new_it->second, after_source))) {
        host.changes.push_back(std::move(change));
      }
      if (host.changes.empty()) continue;
    }
    diff.hosts.push_back(std::move(host));
  }
  diff.repository = diff_flat(flatten_settings(before.settings), flatten_settings(after.settings));
  return diff;
}

}  // namespace reconcile
