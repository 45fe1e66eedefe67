// Relevant facts per module. Each collector mirrors what its module's diff
// reads: a fact the diff never looks at for this host is left out, so drift
// in it leaves saved plans valid; a fact the diff does look at is always in,
// so a plan is never applied to a host that no longer matches it. When a
// module's diff starts reading another fact, its collector here must follow
// (the unit tests in tests/unit/review/facts_hash_test.cc change every
// relevant field one at a time).

#include "reconciler/facts_hash.h"

#include "modules/module.h"
#include "modules/text.h"
#include "reconciler/base/strings.h"
#include "reconciler/facts_hash_text.h"

namespace reconcile {

namespace {

using modules::HostFacts;

void collect_system(const state::Host&, const HostFacts& facts, const secrets::SecretStore*,
                    RelevantFacts& out) {
  // Scripts depend on the distribution, the init system, the package manager
  // and who they run as; kernel, hostname, memory, disks and addresses do not
  // enter any plan of the modules in the table.
  const modules::SystemFacts& s = facts.system;
  out["system os"] = FactText().add("id", s.os_id).add("version", s.os_version_id).text();
  out["system init"] = FactText().add("init", s.init).text();
  out["system package manager"] = FactText().add("manager", s.package_manager).text();
  out["system script user"] = FactText().add("uid", std::to_string(s.uid)).text();
  out["system /run/secrets"] = FactText().flag("tmpfs", s.secrets_tmpfs).text();
}

void collect_groups(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                    RelevantFacts& out) {
  for (const auto& group : host.groups) {
    auto it = facts.groups.find(group.name);
    bool exists = it != facts.groups.end() && it->second;
    FactText text;
    text.flag("exists", exists);
    // Members are not managed by the groups module (users own their
    // memberships), so a member added by hand is not relevant here.
    if (exists && (group.gid || group.state == state::Presence::kAbsent))
      text.number("gid", it->second->gid);
    out["group " + group.name] = text.text();
  }
}

void add_user_fields(const state::User& user, const modules::UserFacts& fact, FactText& text) {
  if (user.state == state::Presence::kAbsent) {
    text.number("uid", fact.uid).add("home", fact.home);  // both appear in the removal
    return;
  }
  if (user.uid) text.number("uid", fact.uid);
  if (user.group || user.groups || user.authorized_keys)
    text.add("primary_group", fact.primary_group);
  if (user.groups) text.add("groups", join({fact.groups.begin(), fact.groups.end()}, ","));
  if (user.shell) text.add("shell", fact.shell);
  if (user.home) text.add("home", fact.home);
  if (user.comment) text.add("comment", fact.comment);
  if (user.password_hash) text.maybe("shadow", fact.shadow_digest);
  if (user.password_hash_secret) {
    std::optional<std::string> matches;
    if (fact.password_matches_secret) matches = *fact.password_matches_secret ? "yes" : "no";
    text.maybe("password_matches_secret", matches);
  }
  if (user.authorized_keys) {
    text.maybe("keys", fact.keys_digest)
        .add("keys_owner", fact.keys_owner)
        .add("keys_mode", fact.keys_mode)
        .add("ssh_dir_mode", fact.ssh_dir_mode);
  }
}

void collect_users(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                   RelevantFacts& out) {
  for (const auto& user : host.users) {
    auto it = facts.users.find(user.name);
    bool exists = it != facts.users.end() && it->second;
    FactText text;
    text.flag("exists", exists);
    if (exists) add_user_fields(user, *it->second, text);
    out["user " + user.name] = text.text();
  }
}

void collect_packages(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                      RelevantFacts& out) {
  // Only declared packages: every other installed package is unrelated.
  for (const auto& package : host.packages) {
    FactText text;
    text.flag("installed", facts.packages.installed.count(package.name) > 0);
    text.flag("unknown", facts.packages.unknown.count(package.name) > 0);
    out["package " + package.name] = text.text();
  }
}

void collect_files(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                   RelevantFacts& out) {
  // Every field: an existing file keeps its owner and mode unless they are
  // declared, so the write script carries the owner and mode it found.
  for (size_t i = 0; i < host.files.size(); ++i) {
    FactText text;
    if (i >= facts.files.size()) {
      text.flag("probed", false);
    } else {
      const modules::FileFacts& fact = facts.files[i];
      text.flag("exists", fact.exists);
      if (fact.exists) {
        text.add("type", fact.type)
            .add("owner", fact.owner)
            .add("group", fact.group)
            .number("mode", fact.mode)
            .add("sha256", fact.sha256);
      }
    }
    out["file " + host.files[i].path] = text.text();
  }
}

void collect_services(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                      RelevantFacts& out) {
  // Services probed only because a file restarts them are not relevant: a
  // restart depends on the change that triggers it, not on the service.
  static const modules::ServiceFacts unknown;
  for (const auto& service : host.services) {
    auto it = facts.services.find(service.name);
    const modules::ServiceFacts& fact = it == facts.services.end() ? unknown : it->second;
    FactText text;
    text.add("load_state", fact.load_state);
    if (service.enabled) text.add("unit_file_state", fact.unit_file_state);
    if (service.running) text.add("active_state", fact.active_state);
    if (service.unit) text.maybe("unit", fact.unit_digest);
    out["service " + service.name] = text.text();
  }
}

void collect_sysctl(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                    RelevantFacts& out) {
  if (host.sysctl.empty()) return;
  for (const auto& [key, value] : host.sysctl) {
    auto it = facts.sysctl.live.find(key);
    std::optional<std::string> live = it == facts.sysctl.live.end() ? std::nullopt : it->second;
    out["sysctl " + key] = FactText().maybe("live", live).text();
  }
  out["sysctl drop-in"] = FactText().maybe("digest", facts.sysctl.dropin_digest).text();
}

void collect_ssh(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                 RelevantFacts& out) {
  if (!host.security.ssh) return;
  const modules::SshdFacts& sshd = facts.sshd;
  FactText text;
  text.flag("present", sshd.present).maybe("drop-in", sshd.dropin_digest);
  text.flag("include", sshd.include)
      .flag("socket", sshd.socket_activated)
      .add("conflicts", join(sshd.conflicts, "\n"));
  for (const auto& [name, values] : sshd.effective)
    text.add("effective " + name, join(values, " "));
  text.maybe("effective error", sshd.effective_error);
  out["sshd"] = text.text();
}

void collect_firewall(const state::Host& host, const HostFacts& facts, const secrets::SecretStore*,
                      RelevantFacts& out) {
  // The before fields (policy, ports, rule counts) come from the live
  // table's JSON, which the live digest covers.
  if (!host.security.firewall) return;
  const modules::FirewallFacts& f = facts.firewall;
  out["firewall"] = FactText()
                        .flag("nft", f.nft_installed)
                        .flag("table", f.table_exists)
                        .add("live", f.live_digest)
                        .maybe("recorded_rendered", f.recorded_rendered)
                        .maybe("recorded_live", f.recorded_live)
                        .maybe("persisted", f.persisted_digest)
                        .flag("included", f.included)
                        .add("service", f.service_state)
                        .text();
}

}  // namespace

const std::vector<RelevantFactsSpec>& relevant_facts_table() {
  static const std::vector<RelevantFactsSpec> table = {
      {"system", collect_system},
      {"disk", collect_disk},
      {"packages", collect_packages},
      {"groups", collect_groups},
      {"users", collect_users},
      {"files", collect_files},
      {"secrets", collect_secrets},
      {"sysctl", collect_sysctl},
      {"services", collect_services},
      {"fail2ban", collect_fail2ban},
      {"auto_updates", collect_auto_updates},
      {"ssh", collect_ssh},
      {"firewall", collect_firewall},
  };
  return table;
}

RelevantFacts relevant_facts(const state::Host& host, const modules::HostFacts& facts,
                             const secrets::SecretStore* secrets) {
  RelevantFacts out;
  for (const auto& row : relevant_facts_table())
    row.collect(host, facts, secrets, out);
  return out;
}

FactDigests digest_facts(const RelevantFacts& facts) {
  FactDigests digests;
  for (const auto& [key, text] : facts)
    digests[key] = modules::sha256_hex(text);
  return digests;
}

std::string facts_hash(const FactDigests& digests) {
  std::string all;
  for (const auto& [key, digest] : digests) {
    all += key;
    all += '\0';
    all += digest;
    all += '\n';
  }
  return modules::sha256_hex(all);
}

std::vector<std::string> changed_facts(const FactDigests& planned, const FactDigests& now) {
  std::vector<std::string> changes;
  for (const auto& [key, digest] : planned) {
    auto it = now.find(key);
    if (it == now.end()) {
      changes.push_back(key + " is no longer probed");
    } else if (it->second != digest) {
      changes.push_back(key + " changed");
    }
  }
  for (const auto& [key, digest] : now) {
    if (planned.count(key) == 0) changes.push_back(key + " is now probed");
  }
  return changes;
}

}  // namespace reconcile
