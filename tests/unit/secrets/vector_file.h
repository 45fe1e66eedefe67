#pragma once

// Reads one age conformance vector (tests/data/age-vectors/README.md): the
// "key: value" header, then the age file itself (inflated when it is
// stored zlib-compressed).

#include <map>
#include <string>
#include <vector>

namespace reconcile::secrets::testing {

struct VectorFile {
  std::string name;
  std::string expect;
  std::string payload_hash;  // hex SHA-256 of the released plaintext
  std::string file_key_hex;
  std::vector<std::string> identities;
  std::vector<std::string> passphrases;
  bool armored = false;
  std::vector<std::string> unknown_keys;
  std::string body;  // the age file under test, inflated
};

// Parses the vector at `path`; aborts the test run on an unreadable or
// malformed vector file (that is broken test data, not a result).
VectorFile read_vector_file(const std::string& path);

// All vector file names in `directory` (README.md excluded), sorted.
std::vector<std::string> list_vectors(const std::string& directory);

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);

std::string read_whole_file(const std::string& path);

}  // namespace reconcile::secrets::testing
