#pragma once

// Where the new system's identity comes from: its SSH host key and its age
// identity (/var/lib/reconcile/host.key). Decided by the repository and the
// controller, never by chance on the host.
//
// SEAM (age): the age library is not on main yet. When it is, the host's age
// identity is read from the secrets store — the repository file
// secrets/hosts/<host>.age, decrypted with the controller's identity — and an
// SSH host key may come the same way from secrets/hosts/<host>.ssh_host_ed25519_key.age.
// Until then find_host_identity() reports what it would deliver and why it
// cannot, and the bootstrap places the SSH host key it generates (or reads
// from --host-key-file). Nothing else changes when the seam is filled: the
// key goes into the configure step's file bundle like the others.

#include <optional>
#include <string>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

struct HostIdentity {
  // The age identity for /var/lib/reconcile/host.key (0600), when available.
  std::optional<secrets::SecureBuffer> age_identity;
  // For the plan: what is delivered, or why not.
  std::string note;
};

// The repository path of the host's age identity.
std::string age_identity_path(const state::Host& host);

// Looks the identity up in `source` (which may be null in tests). Reads only
// the repository.
HostIdentity find_host_identity(const state::RepoSource* source, const state::Host& host);

}  // namespace reconcile::bootstrap
