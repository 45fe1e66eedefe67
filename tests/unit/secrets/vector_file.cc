#include "tests/unit/secrets/vector_file.h"

#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reconciler/base/strings.h"

namespace reconcile::secrets::testing {
namespace {

[[noreturn]] void broken(const std::string& path, const std::string& why) {
  std::fprintf(stderr, "broken test vector %s: %s\n", path.c_str(), why.c_str());
  std::abort();
}

std::string inflate_zlib(const std::string& path, std::string_view compressed) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) broken(path, "inflateInit");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string output;
  char buffer[64 * 1024];
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    result = inflate(&stream, Z_NO_FLUSH);
    if (result != Z_OK && result != Z_STREAM_END) broken(path, "bad zlib data");
    output.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  return output;
}

}  // namespace

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) broken(path, "cannot open");
  std::ostringstream content;
  content << file.rdbuf();
  return content.str();
}

VectorFile read_vector_file(const std::string& path) {
  std::string content = read_whole_file(path);
  size_t end = content.find("\n\n");
  if (end == std::string::npos) broken(path, "no blank line after the header");
  VectorFile vector;
  vector.name = std::filesystem::path(path).filename();
  bool compressed = false;
  for (const std::string& line : split(content.substr(0, end), '\n')) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos) broken(path, "header line without \": \"");
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 2);
    if (key == "expect") {
      vector.expect = value;
    } else if (key == "payload") {
      vector.payload_hash = value;
    } else if (key == "file key") {
      vector.file_key_hex = value;
    } else if (key == "identity") {
      vector.identities.push_back(value);
    } else if (key == "passphrase") {
      vector.passphrases.push_back(value);
    } else if (key == "armored") {
      vector.armored = value == "yes";
    } else if (key == "compressed") {
      if (value != "zlib") broken(path, "unknown compression");
      compressed = true;
    } else if (key != "comment") {
      vector.unknown_keys.push_back(key);
    }
  }
  vector.body = content.substr(end + 2);
  if (compressed) vector.body = inflate_zlib(path, vector.body);
  return vector;
}

std::vector<std::string> list_vectors(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    std::string name = entry.path().filename();
    if (name != "README.md") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string sha256_hex(std::string_view data) {
  unsigned char hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return to_hex({reinterpret_cast<const char*>(hash), sizeof hash});
}

}  // namespace reconcile::secrets::testing
