#pragma once

#include <string>

#include "reconciler/base/result.h"

namespace reconcile {

// Sets up the process-wide logger once: stderr, "level: message" lines (no
// timestamps, journald adds its own), at the given level (trace, debug,
// info, warn, error, off). Returns kInvalidArgument for an unknown level.
Status setup_logging(const std::string& level);

}  // namespace reconcile
