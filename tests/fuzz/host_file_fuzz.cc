// libFuzzer target: arbitrary bytes as a host file. The loader must return
// diagnostics or a host, never crash, hang or leak.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "desired-state/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  reconcile::state::LoadResult result = reconcile::state::load_single_host(yaml, "fuzz");
  (void)result;
  return 0;
}
