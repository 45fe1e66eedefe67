#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reconcile {

std::vector<std::string> split(std::string_view text, char separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Lines without their '\n'; a trailing newline adds no empty line.
std::vector<std::string> lines_of(std::string_view text);

// Splits on runs of spaces and tabs, as the kernel and fstab(5) do.
std::vector<std::string> words_of(std::string_view text);

// The first word and the rest after one separating space: "k v w" -> {"k", "v w"}.
std::pair<std::string, std::string> split_first(std::string_view line);

// Undoes the kernel's \ooo escapes (/proc/mounts, mountinfo, /proc/swaps,
// fstab): "\040" is a space. Anything else stays as it is.
std::string unescape_octal(std::string_view text);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely
// typo (distance <= 2, or <= 1/3 of the length), else empty.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// Shell-style glob with *, ? and [...] classes, as fnmatch(3) without flags.
bool glob_match(std::string_view pattern, std::string_view text);

// Lower-case hex of bytes.
std::string to_hex(std::string_view bytes);

}  // namespace reconcile
