// Relevant facts of the secrets module. The probe reports a secret file's
// content as an HMAC under a key that lives only in the memory of one
// controller process (modules/secrets.cc), so the digest itself differs
// between the run that made a plan and the run that applies it. What the
// diff reads is whether the content equals the declared secret, so that
// comparison is the fact: it is stable across processes and reveals
// nothing. Owner, group and mode of declared secrets count, as do the
// mount of /run/secrets and the entries that are not declared (the plan
// removes them).

#include "modules/module.h"
#include "reconciler/facts_hash_text.h"
#include "secrets/store.h"

namespace reconcile {

namespace {

// "yes", "no", or "unknown" when the controller could not decrypt the
// secret (the host then refuses to plan, in both runs).
std::string content_matches(const std::string& host_name, const state::SecretDelivery& secret,
                            const modules::SecretFileFacts& fact,
                            const secrets::SecretStore* store) {
  const secrets::SecretStore::Entry* entry =
      store != nullptr ? store->find(secret.source) : nullptr;
  if (entry == nullptr || !entry->plaintext) return "unknown";
  return fact.digest == modules::secret_digest(host_name, *entry->plaintext) ? "yes" : "no";
}

}  // namespace

void collect_secrets(const state::Host& host, const modules::HostFacts& facts,
                     const secrets::SecretStore* store, RelevantFacts& out) {
  if (!modules::manages_secrets(host)) return;
  const modules::SecretsFacts& s = facts.secrets;
  FactText directory;
  directory.add("directory", s.directory)
      .add("fstype", s.fstype)
      .flag("mount_point", s.mount_point)
      .add("owner", s.owner + ":" + s.group)
      .number("mode", s.mode);
  std::set<std::string> declared;
  for (const auto& secret : host.secrets) {
    declared.insert(secret.name);
    auto it = s.files.find(secret.name);
    FactText text;
    text.flag("exists", it != s.files.end());
    if (it != s.files.end()) {
      const modules::SecretFileFacts& fact = it->second;
      text.add("type", fact.type)
          .add("owner", fact.owner + ":" + fact.group)
          .number("mode", fact.mode);
      if (fact.type == "file")
        text.add("content_matches", content_matches(host.name, secret, fact, store));
    }
    out["secret " + secret.name] = text.text();
  }
  // Entries nobody declares are removed by the plan: their names and types
  // are part of what it was computed from.
  for (const auto& [name, fact] : s.files) {
    if (declared.count(name) == 0) directory.add("undeclared", name + " " + fact.type);
  }
  out["secrets /run/secrets"] = directory.text();
}

}  // namespace reconcile
