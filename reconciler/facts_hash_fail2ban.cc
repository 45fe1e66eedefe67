// Relevant facts of the fail2ban and auto_updates modules: the state of the
// packages they install, the digest of the file each writes, and the
// service, timers and effective apt settings their diffs compare.

#include "modules/module.h"
#include "reconciler/facts_hash_text.h"

namespace reconcile {

namespace {

std::string package_states(const std::map<std::string, modules::PackageState>& states) {
  std::string text;
  for (const auto& [name, state] : states)
    text += name + ":" + modules::package_state_name(state) + ",";
  return text;
}

}  // namespace

void collect_fail2ban(const state::Host& host, const modules::HostFacts& facts,
                      const secrets::SecretStore*, RelevantFacts& out) {
  if (!host.security.fail2ban) return;
  const modules::Fail2banFacts& f = facts.fail2ban;
  out["fail2ban"] = FactText()
                        .add("packages", package_states(f.packages))
                        .maybe("jail_file", f.jail_digest)
                        .add("enabled", f.enabled)
                        .add("active", f.active)
                        .text();
}

void collect_auto_updates(const state::Host& host, const modules::HostFacts& facts,
                          const secrets::SecretStore*, RelevantFacts& out) {
  if (!host.security.auto_updates) return;
  const modules::AutoUpdatesFacts& a = facts.auto_updates;
  FactText text;
  text.add("packages", package_states(a.packages)).maybe("settings_file", a.settings_digest);
  for (const auto& [key, value] : a.settings)
    text.add("setting " + key, value);
  for (const auto& [timer, state] : a.timers)
    text.add("timer " + timer, state);
  out["auto_updates"] = text.text();
}

}  // namespace reconcile
