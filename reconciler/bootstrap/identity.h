#pragma once

// Where the new system's identity comes from, decided by the repository and
// the controller, never by chance on the host: its SSH host key (generated
// on the controller or read from --host-key-file, see host_keys.h) and its
// age identity, /var/lib/reconcile/host.key (0600).
//
// The age identity lives in the secrets store as secrets/hosts/<host>.age:
// an age identity file (what age-keygen writes) encrypted to the
// controller. The bootstrap decrypts it in memory with the controller's
// identities (--identity) and places it in its own step (after configure),
// before the first boot. A host without that file gets no host.key.

#include <optional>
#include <string>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "reconciler/base/result.h"
#include "secrets/keys.h"
#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

struct HostIdentity {
  // The identity file for /var/lib/reconcile/host.key, when the repository has one.
  std::optional<secrets::SecureBuffer> age_identity;
  // For the plan: what is delivered, or why nothing is.
  std::string note;
};

// The repository path of the host's age identity.
std::string age_identity_path(const state::Host& host);

// Reads and decrypts the host's age identity from `source` (which may be
// null: no repository, no identity). Reads only the repository. Errors:
// kInvalidArgument when the file exists but no controller identity was
// given, or when its plaintext is not an age identity file; decryption
// errors (kUnauthenticated when no given identity matches, kDataLoss for a
// damaged file) with the path as context.
Result<HostIdentity> find_host_identity(const state::RepoSource* source, const state::Host& host,
                                        const secrets::IdentityList& controller);

}  // namespace reconcile::bootstrap
