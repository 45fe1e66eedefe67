#pragma once

// Runs a script on this machine the way a transport runs it on a host: sent
// on stdin to `/bin/sh -s`, with optional input bytes after it. For the disk
// host tests only (the real transports live in reconciler/transport).

#include <map>
#include <string>

#include "disk-layouts/facts.h"
#include "disk-layouts/layout.h"
#include "disk-layouts/plan.h"
#include "disk-layouts/planner.h"
#include "reconciler/base/result.h"

namespace reconcile::disk::testing {

struct ShellResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `script` with /bin/sh -s. The script is written to a temp file that
// becomes sh's stdin, so no pipe can fill up while sh runs. With `input`, the
// transports' framing is used (reconciler/transport/transport.h): the shell
// evaluates exactly the script's bytes and the script's own commands read
// `input` after them; the stdin file then lives in /dev/shm (memory), since
// the input is a secret.
Result<ShellResult> run_local_shell(const std::string& script, const std::string& input = "");

// Probes `target`'s devices with the real probe fragment and parses the result.
Result<DiskFacts> probe_local(const DiskTarget& target);

// Probes and plans.
Result<DiskPlan> plan_local(const DiskLayout& layout, const DiskTarget& target);

// Runs every step of `plan` in order, after check_destructive_allowed; stops
// at the first failing step with its stderr in the error. A step that reads
// a secret gets it from `secrets` (name -> value); one that is missing there
// is an error.
Status apply_local(const DiskPlan& plan, bool allow_destructive,
                   const std::map<std::string, std::string>& secrets = {});

// Loads disk-layouts/<name>.yaml from the source tree.
Result<DiskLayout> load_layout_file(const std::string& path, const std::string& name);

}  // namespace reconcile::disk::testing
