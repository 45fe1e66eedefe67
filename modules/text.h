#pragma once

// Small helpers shared by the fact parsers and script builders.

#include <string>
#include <string_view>
#include <vector>

namespace reconcile::modules {

// Splits into lines without their '\n'; a trailing newline adds no line.
std::vector<std::string> lines_of(std::string_view text);

// Splits "a b  c" on runs of spaces/tabs.
std::vector<std::string> words_of(std::string_view text);

// The first word and the rest after one separating space: "k v w" -> {"k", "v w"}.
std::pair<std::string, std::string> split_first(std::string_view line);

// Lower-case hex SHA-256 of bytes.
std::string sha256_hex(std::string_view bytes);

// Octal text of a mode, without leading zeros beyond 3 digits: 0644 -> "644".
std::string mode_text(uint32_t mode);

}  // namespace reconcile::modules
