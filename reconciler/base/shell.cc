#include "reconciler/base/shell.h"

#include <cstdio>
#include <cstdlib>

namespace reconcile {

std::string shell_quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\0') {
      std::fprintf(stderr, "BUG: shell_quote given a value with a NUL byte\n");
      std::abort();
    }
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

}  // namespace reconcile
