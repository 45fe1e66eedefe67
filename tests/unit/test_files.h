#pragma once

// Helpers shared by unit tests: golden files in the source tree, and running
// a script with a real /bin/sh.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace reconcile::testing {

// A path in the source tree.
inline std::string source_path(const std::string& relative) {
  return std::string(RECONCILE_SOURCE_DIR) + "/" + relative;
}

// Compares `actual` with the golden file `relative` (from the source tree).
// RECONCILE_UPDATE_GOLDEN=1 rewrites the file first: review the diff after.
inline void check_golden_file(const std::string& relative, const std::string& actual) {
  std::string path = source_path(relative);
  if (std::getenv("RECONCILE_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
  }
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << relative);
  std::stringstream expected;
  expected << in.rdbuf();
  CHECK(actual == expected.str());
}

// Runs `script` with /bin/sh (read from a temporary file on its stdin) and
// returns its stdout; `status` (if given) gets pclose's status.
inline std::string run_sh_script(const std::string& script, int* status = nullptr) {
  char path[] = "/tmp/reconcile-test-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()));
  close(fd);
  std::string command = std::string("/bin/sh -s < ") + path;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  int result = pclose(pipe);
  if (status != nullptr) *status = result;
  unlink(path);
  return out;
}

}  // namespace reconcile::testing
