#pragma once

// The module contract. A module owns one concern (users, files, ...): probe
// fragments that gather its facts, a parser for their output, and a pure diff
// from desired state and facts to changes, each carrying its remote script.
// Every module is one row of module_table(); nothing registers itself.

#include <map>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "modules/change.h"
#include "modules/facts.h"
#include "modules/probe.h"
#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {
class SecretStore;
}

namespace reconcile::modules {

// Inputs to diff beyond the host and its facts.
struct DiffContext {
  const state::Host& host;
  const HostFacts& facts;
  // Where a module refuses to plan (an unknown or ambiguous state it must not
  // guess about), it says why here; the host is then not applied at all.
  std::vector<std::string>* refusals = nullptr;
  // The controller's decrypted secrets (secrets/store.h), or null when none
  // were loaded; a host that delivers secrets then refuses to plan.
  const secrets::SecretStore* secrets = nullptr;

  void refuse(std::string why) const {
    if (refusals != nullptr) refusals->push_back(std::move(why));
  }
};

using Sections = std::map<std::string, SectionOutput>;

struct ModuleSpec {
  const char* name;
  // Probe fragments for this host; empty when the host does not use the module.
  std::vector<ProbeFragment> (*probe)(const state::Host& host);
  // Fills this module's part of `facts` from its sections. Errors are
  // kDataLoss (output that cannot be parsed).
  Status (*parse)(const Sections& sections, const state::Host& host, HostFacts& facts);
  // Appends the changes that bring the host to the desired state.
  void (*diff)(const DiffContext& context, std::vector<Change>& changes);
};

// Every module, in apply-phase order.
const std::vector<ModuleSpec>& module_table();

// All probe fragments of every module the host uses, system facts first.
std::vector<ProbeFragment> probe_fragments(const state::Host& host);

// Parses every module's sections. Errors name the module.
Result<HostFacts> parse_facts(const Sections& sections, const state::Host& host);

// Every module's changes, stably sorted by phase.
std::vector<Change> diff_host(const DiffContext& context);

// The module rows, one per file.
std::vector<ProbeFragment> probe_system(const state::Host& host);
// Facts only `reconcile facts` shows (block devices, addresses, routes):
// three execs on the host that planning does not need. parse_system reads
// them when they are there.
std::vector<ProbeFragment> probe_inventory();
Status parse_system(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_nothing(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_groups(const state::Host& host);
Status parse_groups(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_groups(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_users(const state::Host& host);
Status parse_users(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_users(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_packages(const state::Host& host);
Status parse_packages(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_packages(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_files(const state::Host& host);
Status parse_files(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_files(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_services(const state::Host& host);
Status parse_services(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_services(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_disk(const state::Host& host);
Status parse_disk(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_disk(const DiffContext& context, std::vector<Change>& changes);

// Adds "restart SERVICE" changes for files and secrets that change and name
// the service in `restart:`. Runs after every module has planned.
void add_restarts(const state::Host& host, std::vector<Change>& changes);

// True when the host has a secrets section (and so owns /run/secrets).
bool manages_secrets(const state::Host& host);
std::vector<ProbeFragment> probe_secrets(const state::Host& host);
Status parse_secrets(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_secrets(const DiffContext& context, std::vector<Change>& changes);
// The digest the secrets probe reports for a file holding `plaintext` on
// `host_name` (hex HMAC-SHA256 under this process's probe key for the host).
std::string secret_digest(const std::string& host_name, const secrets::SecureBuffer& plaintext);
// The probe script of the secrets module with another directory in place of
// /run/secrets (for tests that run it against a real sh).
std::string secrets_probe_script(const std::string& host_name, const std::string& directory);

std::vector<ProbeFragment> probe_sysctl(const state::Host& host);
Status parse_sysctl(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_sysctl(const DiffContext& context, std::vector<Change>& changes);

std::vector<ProbeFragment> probe_ssh(const state::Host& host);
Status parse_ssh(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_ssh(const DiffContext& context, std::vector<Change>& changes);
// The drop-in the ssh module writes (/etc/ssh/sshd_config.d/50-reconcile.conf).
std::string sshd_dropin_text(const state::SshHardening& ssh);
// The shell functions that find (and comment out) sshd directives that would
// override the drop-in: `sshd_conflicts MODE report|fix FILE` (for tests).
std::string sshd_conflicts_function(const state::SshHardening& ssh);
// security.firewall (nftables), modules/firewall.cc.
std::vector<ProbeFragment> probe_firewall(const state::Host& host);
Status parse_firewall(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_firewall(const DiffContext& context, std::vector<Change>& changes);
// The rendered file for a host with security.firewall: the nft transaction
// that replaces table inet reconcile, also persisted as
// /etc/nftables.d/reconcile.nft.
std::string firewall_ruleset(const state::Host& host);

std::vector<ProbeFragment> probe_fail2ban(const state::Host& host);
Status parse_fail2ban(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_fail2ban(const DiffContext& context, std::vector<Change>& changes);
// The jail file for `host` (/etc/fail2ban/jail.d/reconcile.local); the sshd
// jail reads the journal when `journal_backend` (Debian 12).
std::string render_fail2ban_jails(const state::Host& host, bool journal_backend);

std::vector<ProbeFragment> probe_auto_updates(const state::Host& host);
Status parse_auto_updates(const Sections& sections, const state::Host& host, HostFacts& facts);
void diff_auto_updates(const DiffContext& context, std::vector<Change>& changes);
// The apt settings file (/etc/apt/apt.conf.d/52reconcile-auto-updates).
std::string render_auto_updates(const state::AutoUpdates& updates);

}  // namespace reconcile::modules
