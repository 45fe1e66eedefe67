#include "reconciler/bootstrap/identity.h"

#include <vector>

#include "secrets/age.h"
#include "secrets/io.h"

namespace reconcile::bootstrap {

std::string age_identity_path(const state::Host& host) {
  return "secrets/hosts/" + host.name + ".age";
}

Result<HostIdentity> find_host_identity(const state::RepoSource* source, const state::Host& host,
                                        const secrets::IdentityList& controller) {
  HostIdentity identity;
  std::string path = age_identity_path(host);
  if (source == nullptr || !source->is_file(path)) {
    identity.note = "no " + path + " in the repository; /var/lib/reconcile/host.key is not written";
    return identity;
  }
  if (controller.empty()) {
    return invalid_argument(path +
                            " holds the host's age identity: pass --identity FILE (the "
                            "controller's age identity) so that bootstrap can decrypt it");
  }
  std::string ciphertext = TRY_CONTEXT(path, source->read(path));
  std::vector<const secrets::Identity*> identities;
  for (const auto& entry : controller)
    identities.push_back(entry.get());
  secrets::MemoryReader reader(std::string_view{ciphertext});
  secrets::SecureBuffer plaintext;
  secrets::SecureBufferWriter writer(plaintext);
  TRY_CONTEXT(path, secrets::decrypt(identities, reader, writer));
  // Refuse to place something that sshd's neighbour tools could not use:
  // the plaintext must itself be an age identity file.
  auto parsed = secrets::parse_identity_file(plaintext, path);
  if (!parsed) {
    return invalid_argument(
        path + " does not decrypt to an age identity file: " + parsed.error().message());
  }
  identity.note = "decrypted from " + path + " into /var/lib/reconcile/host.key (0600)";
  identity.age_identity = std::move(plaintext);
  return identity;
}

}  // namespace reconcile::bootstrap
