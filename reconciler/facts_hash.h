#pragma once

// The facts a plan depends on, so that applying a saved plan can tell whether
// the host still is what the plan was computed from. Not every fact counts:
// only those a module's diff reads for what the host declares ("relevant
// facts"). Drift in anything else (an unmanaged file, a package nobody
// declared, a new kernel, a service's state when `running` is not declared)
// cannot change the plan, so it must not make the plan stale.
//
// Each relevant fact is one entry: a key a person can read ("file
// /etc/app/conf1.ini", "user alice") and a canonical text of the fact's
// fields. Plans store a digest per key, never the values, so a stale plan can
// say which resource changed without the plan file holding host data. The
// rows of relevant_facts_table() mirror the modules' diff functions; the
// table has one row per module of modules::module_table() (a test checks).
// Pure: never touches a host.

#include <map>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "modules/facts.h"

namespace reconcile::secrets {
class SecretStore;
}

namespace reconcile {

// Key -> canonical text of the fact's relevant fields.
using RelevantFacts = std::map<std::string, std::string>;
// Key -> lower-case hex SHA-256 of that text.
using FactDigests = std::map<std::string, std::string>;

struct RelevantFactsSpec {
  const char* module;  // a name from modules::module_table()
  void (*collect)(const state::Host& host, const modules::HostFacts& facts,
                  const secrets::SecretStore* secrets, RelevantFacts& out);
};

// One row per module, in module_table() order.
const std::vector<RelevantFactsSpec>& relevant_facts_table();

// Every module's relevant facts for `host`. `secrets` (may be null) is the
// controller's decrypted secrets of the run: a delivered secret's fact is
// whether the host's copy matches it (see facts_hash_secrets.cc).
RelevantFacts relevant_facts(const state::Host& host, const modules::HostFacts& facts,
                             const secrets::SecretStore* secrets = nullptr);

FactDigests digest_facts(const RelevantFacts& facts);

// One hash over every key and digest (SHA-256, hex): equal digests, equal hash.
std::string facts_hash(const FactDigests& digests);

// What differs between the digests a plan was made from and the current
// ones, as phrases for a person: "file /etc/app/conf1.ini changed",
// "user bob is now probed", "user bob is no longer probed". Empty when equal.
std::vector<std::string> changed_facts(const FactDigests& planned, const FactDigests& now);

}  // namespace reconcile
