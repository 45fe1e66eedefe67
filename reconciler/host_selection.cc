#include "reconciler/host_selection.h"

#include "reconciler/base/strings.h"

namespace reconcile {

Result<std::vector<const state::Host*>> select_hosts(const state::Repo& repo,
                                                     const std::vector<std::string>& globs) {
  std::vector<const state::Host*> selected;
  for (const auto& glob : globs) {
    bool matched = false;
    for (const auto& host : repo.hosts)
      matched = matched || glob_match(glob, host.name);
    if (!matched)
      return invalid_argument("--host '" + glob + "' matches no host in the repository");
  }
  for (const auto& host : repo.hosts) {
    bool wanted = globs.empty();
    for (const auto& glob : globs)
      wanted = wanted || glob_match(glob, host.name);
    if (wanted) selected.push_back(&host);
  }
  return selected;
}

}  // namespace reconcile
