#pragma once

// Small helpers shared by the fact parsers and script builders.

#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/strings.h"

namespace reconcile::modules {

// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);

// Octal text of a mode, without leading zeros beyond 3 digits: 0644 -> "644".
std::string mode_text(uint32_t mode);

}  // namespace reconcile::modules
