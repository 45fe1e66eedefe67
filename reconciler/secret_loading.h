#pragma once

// The bridge between the desired state and the secrets library: which
// secret files the hosts use, the recipient policy of reconcile.yaml and
// the hosts' age_recipient, and the controller's decrypted secrets for a
// run. Reads the repository through its RepoSource and the local identity
// file; touches no host.

#include <map>
#include <string>
#include <vector>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "secrets/recipients.h"
#include "secrets/store.h"

namespace reconcile {

// The controller's identity file when --identity is not given.
inline constexpr const char* kDefaultControllerIdentity = "/var/lib/reconcile/identity.txt";

// Every secret source (repo path) the hosts deliver, with the hosts that use
// it, sorted.
std::map<std::string, std::vector<std::string>> secret_sources(
    const std::vector<const state::Host*>& hosts);

// reconcile.yaml's recipients, controller and access, and every host's use of
// secrets (by secret name, the path under secrets/ without ".age").
secrets::RecipientPolicy recipient_policy(const state::Repo& repo);

// Decrypts every source the hosts use with the identities in
// `identity_file`, in memory. A source that cannot be read or decrypted (or
// an identity file that cannot be read) is recorded with the reason, never
// an error of the whole run: the hosts that use it refuse to plan, the
// others go on. Nothing is read when no host has secrets.
secrets::SecretStore load_secret_store(const state::RepoSource& source,
                                       const std::vector<const state::Host*>& hosts,
                                       const std::string& identity_file);

}  // namespace reconcile
