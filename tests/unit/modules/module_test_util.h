#pragma once

// Helpers for module tests: a host from YAML (through the real loader) and
// short descriptions of changes for table comparisons.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"
#include "modules/module.h"

namespace reconcile::testing {

// Loads `yaml` as hosts/h.yaml of an otherwise empty repository; extra
// repository files may be given.
inline state::Host host_from_yaml(const std::string& yaml,
                                  std::map<std::string, std::string> files = {}) {
  files["reconcile.yaml"] = "";
  files["hosts/h.yaml"] = yaml;
  state::MemorySource source(files);
  state::LoadResult result = state::load_repo(source);
  for (const auto& d : result.diagnostics.items())
    MESSAGE(d.to_string());
  REQUIRE(result.ok());
  REQUIRE(result.repo.hosts.size() == 1);
  return result.repo.hosts[0];
}

// "+ user alice" style one-liners, in plan order.
inline std::vector<std::string> summarize(const std::vector<modules::Change>& changes) {
  std::vector<std::string> out;
  for (const auto& change : changes) {
    out.push_back(std::string(modules::action_symbol(change.action)) + " " + change.resource +
                  (change.destructive ? " !" : ""));
  }
  return out;
}

inline std::vector<modules::Change> diff_module(void (*diff)(const modules::DiffContext&,
                                                             std::vector<modules::Change>&),
                                                const state::Host& host,
                                                const modules::HostFacts& facts) {
  std::vector<modules::Change> changes;
  diff({host, facts}, changes);
  return changes;
}

inline const modules::FieldChange* find_field(const modules::Change& change,
                                              const std::string& name) {
  for (const auto& field : change.fields) {
    if (field.name == name) return &field;
  }
  return nullptr;
}

}  // namespace reconcile::testing
