#pragma once

// A fleet of hosts h1..hN loaded through the real loader, for rollout tests.

#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"
#include "reconciler/base/strings.h"

namespace reconcile::testing {

class Fleet {
 public:
  explicit Fleet(int count) {
    for (int i = 1; i <= count; ++i)
      m_hosts["h" + std::to_string(i)] = {};
  }

  // Must come before load().
  void set_roles(const std::string& host, std::vector<std::string> roles) {
    m_hosts[host] = std::move(roles);
  }
  void set_extra(const std::string& host, const std::string& yaml) { m_extra[host] = yaml; }

  // Loads the fleet with `reconcile_yaml`; the repository must be valid.
  const state::Repo& load(const std::string& reconcile_yaml) {
    state::LoadResult result = state::load_repo(source(reconcile_yaml));
    for (const auto& d : result.diagnostics.items())
      MESSAGE(d.to_string());
    REQUIRE(result.ok());
    m_repo = std::move(result.repo);
    return m_repo;
  }

  // The same sources, loaded without requiring validity.
  state::LoadResult try_load(const std::string& reconcile_yaml) const {
    return state::load_repo(source(reconcile_yaml));
  }

  std::vector<const state::Host*> all() const {
    std::vector<const state::Host*> hosts;
    for (const auto& host : m_repo.hosts)
      hosts.push_back(&host);
    return hosts;
  }
  const state::Host* host(const std::string& name) const {
    for (const auto& host : m_repo.hosts) {
      if (host.name == name) return &host;
    }
    FAIL("no host " << name);
    return nullptr;
  }

 private:
  state::MemorySource source(const std::string& reconcile_yaml) const {
    state::MemorySource source;
    source.set("reconcile.yaml", reconcile_yaml);
    std::set<std::string> roles;
    for (const auto& [name, host_roles] : m_hosts) {
      std::string yaml = "address: 10.0.0." + name.substr(1) + "\n";
      if (!host_roles.empty()) yaml += "roles: [" + join(host_roles, ", ") + "]\n";
      auto extra = m_extra.find(name);
      if (extra != m_extra.end()) yaml += extra->second;
      source.set("hosts/" + name + ".yaml", yaml);
      roles.insert(host_roles.begin(), host_roles.end());
    }
    for (const auto& role : roles)
      source.set("roles/" + role + ".yaml", "");
    return source;
  }

  std::map<std::string, std::vector<std::string>> m_hosts;
  std::map<std::string, std::string> m_extra;
  state::Repo m_repo;
};

}  // namespace reconcile::testing
