// Host tests need root: they run real sshd servers inside private network
// and mount namespaces. Each test process enters its own namespaces before
// any test runs; without root it exits with 77, which ctest reports as
// skipped.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string_view>

#include "tests/host/transport/sshd_fixture.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.rfind("--list", 0) == 0 || arg.rfind("-l", 0) == 0 || arg == "--help" || arg == "-h") {
      listing = true;
    }
  }
  if (!listing) {
    if (geteuid() != 0) {
      std::fprintf(stderr,
                   "SKIPPED: host tests need root (private network and mount namespaces with "
                   "their own sshd)\n");
      return 77;
    }
    reconcile::transport::testing::enter_private_namespaces();
  }
  doctest::Context context(argc, argv);
  return context.run();
}
