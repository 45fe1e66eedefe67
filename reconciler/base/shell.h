#pragma once

#include <string>
#include <string_view>

namespace reconcile {

// The one way a value from the desired state reaches a shell: wraps it in
// single quotes (closing and reopening them around each embedded quote), so
// that `sh` reads back exactly the same bytes, whatever they are: quotes,
// $(), backticks, newlines, leading dashes, bytes 0x01-0xFF. A NUL byte
// cannot be passed to a shell at all; the loader rejects NULs in values, so a
// NUL here is a bug and aborts.
std::string shell_quote(std::string_view value);

}  // namespace reconcile
