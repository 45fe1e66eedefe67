#pragma once

// Rendered configuration compared with a golden file under
// tests/unit/modules/golden/. Set RECONCILE_UPDATE_GOLDEN=1 to rewrite the
// files after an intended change, then review the diff.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace reconcile::testing {

inline void check_golden(const std::string& name, const std::string& actual) {
  std::string path = std::string(RECONCILE_SOURCE_DIR) + "/tests/unit/modules/golden/" + name;
  if (std::getenv("RECONCILE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << path);
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(actual == expected.str());
}

}  // namespace reconcile::testing
