#pragma once

// Progress of a run, per host. On a terminal: one live line per host
// (probing / planning / applying N of M / converged / failed), redrawn in
// place. Elsewhere (logs, pipes): one line per step. Writes to stderr only.

#include <memory>
#include <string>
#include <vector>

namespace reconcile {

class Progress {
 public:
  virtual ~Progress() = default;
  // A host entered a new step.
  virtual void step(const std::string& host, const std::string& what) = 0;
  // A host finished; `what` is its final state.
  virtual void done(const std::string& host, const std::string& what) = 0;
  // Leaves the terminal clean (the live block stays as a record).
  virtual void close() {}
};

// `live` selects the redrawn terminal display; `quiet` prints nothing.
std::unique_ptr<Progress> make_progress(const std::vector<std::string>& hosts, bool live,
                                        bool quiet);

}  // namespace reconcile
