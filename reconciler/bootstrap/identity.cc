#include "reconciler/bootstrap/identity.h"

namespace reconcile::bootstrap {

std::string age_identity_path(const state::Host& host) {
  return "secrets/hosts/" + host.name + ".age";
}

HostIdentity find_host_identity(const state::RepoSource* source, const state::Host& host) {
  HostIdentity identity;
  std::string path = age_identity_path(host);
  bool present = source != nullptr && source->is_file(path);
  // SEAM (age): decrypt `path` with the controller's identity here once
  // secrets/age.h is on main, and set identity.age_identity.
  if (present) {
    identity.note = path +
                    " exists, but this build cannot decrypt age files yet; "
                    "/var/lib/reconcile/host.key is not written";
  } else {
    identity.note = "no " + path + " in the repository; /var/lib/reconcile/host.key is not written";
  }
  return identity;
}

}  // namespace reconcile::bootstrap
