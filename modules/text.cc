#include "modules/text.h"

#include <sodium.h>

#include <cstdio>

#include "reconciler/base/strings.h"

namespace reconcile::modules {

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::pair<std::string, std::string> split_first(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return {std::string(line), {}};
  return {std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string mode_text(uint32_t mode) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%03o", mode);
  return buffer;
}

}  // namespace reconcile::modules
