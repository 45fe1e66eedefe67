#pragma once

#include <nlohmann/json.hpp>

#include "modules/facts.h"

namespace reconcile {

// The facts of a host as JSON (used by `reconcile facts --json`).
nlohmann::json facts_json(const modules::HostFacts& facts);

}  // namespace reconcile
