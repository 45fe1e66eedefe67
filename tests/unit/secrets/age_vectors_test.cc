// Runs every age conformance vector (tests/data/age-vectors, from C2SP
// CCTV) through the decryptor step by step, classifies the outcome into the
// six classes of the testkit, and compares it and the hash of the released
// plaintext with the vector. Vectors that need post-quantum (ML-KEM)
// identities are skipped and counted: libsodium 1.0.18 has no ML-KEM.

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "reconciler/base/strings.h"
#include "secrets/age.h"
#include "secrets/armor.h"
#include "secrets/header.h"
#include "secrets/scrypt.h"
#include "secrets/stream.h"
#include "secrets/x25519.h"
#include "tests/unit/secrets/vector_file.h"

namespace reconcile::secrets {
namespace {

using testing::VectorFile;

const std::string kVectorDir = RECONCILE_SOURCE_DIR "/tests/data/age-vectors";

struct Outcome {
  std::string result;  // one of the testkit's expect values
  std::string released;
  std::string error;
};

struct Identities {
  std::vector<std::unique_ptr<Identity>> owned;
  std::vector<const Identity*> pointers;
  bool post_quantum_only = false;
};

Identities build_identities(const VectorFile& vector) {
  Identities identities;
  bool has_post_quantum = false;
  for (const std::string& text : vector.identities) {
    if (text.starts_with("AGE-SECRET-KEY-PQ-1")) {
      has_post_quantum = true;
      continue;
    }
    identities.owned.push_back(std::make_unique<X25519Identity>(MUST(X25519Identity::parse(text))));
  }
  for (const std::string& passphrase : vector.passphrases) {
    identities.owned.push_back(
        std::make_unique<ScryptIdentity>(SecureBuffer(passphrase.data(), passphrase.size())));
  }
  for (const auto& identity : identities.owned)
    identities.pointers.push_back(identity.get());
  identities.post_quantum_only = has_post_quantum && identities.owned.empty();
  return identities;
}

// The testkit's classification, step by step: armor errors are recognised
// wherever they surface; a failing unwrap is "no match" only when nothing
// was malformed; the nonce belongs to the header class.
Outcome run_steps(const VectorFile& vector, const Identities& identities) {
  Outcome outcome;
  MemoryReader raw(vector.body);
  std::optional<ArmorReader> armor;
  Reader* source = &raw;
  if (vector.armored) source = &armor.emplace(raw);
  auto armor_failed = [&] { return armor && armor->failed(); };
  BufferedReader in(*source);

  auto header = parse_header(in);
  if (!header) {
    outcome.error = header.error().message();
    outcome.result = armor_failed() ? "armor failure" : "header failure";
    return outcome;
  }
  auto file_key = unwrap_file_key(*header, identities.pointers);
  if (!file_key) {
    outcome.error = file_key.error().message();
    outcome.result =
        file_key.error().code() == ErrorCode::kUnauthenticated ? "no match" : "header failure";
    return outcome;
  }
  if (Status mac = verify_header_mac(*header, *file_key); !mac) {
    outcome.error = mac.error().message();
    outcome.result = "HMAC failure";
    return outcome;
  }
  SecureBuffer released;
  SecureBufferWriter writer(released);
  Status payload = decrypt_payload(*file_key, in, writer);
  outcome.released = std::string(released.view());
  if (!payload) {
    outcome.error = payload.error().message();
    if (armor_failed()) {
      outcome.result = "armor failure";
    } else if (payload.error().code() == ErrorCode::kInvalidArgument) {
      outcome.result = "header failure";
    } else {
      outcome.result = "payload failure";
    }
    return outcome;
  }
  outcome.result = "success";
  return outcome;
}

TEST_CASE("every runnable age conformance vector gives its expected result") {
  std::vector<std::string> names = testing::list_vectors(kVectorDir);
  REQUIRE(names.size() == 143);
  int passed = 0;
  int skipped_post_quantum = 0;
  for (const std::string& name : names) {
    CAPTURE(name);
    VectorFile vector = testing::read_vector_file(kVectorDir + "/" + name);
    REQUIRE(vector.unknown_keys.empty());
    Identities identities = build_identities(vector);
    if (identities.post_quantum_only) {
      ++skipped_post_quantum;
      continue;
    }
    Outcome outcome = run_steps(vector, identities);
    CAPTURE(outcome.error);
    CHECK(outcome.result == vector.expect);
    if (vector.expect == "success" || vector.expect == "payload failure") {
      CHECK(testing::sha256_hex(outcome.released) == vector.payload_hash);
    }

    // decrypt(), which detects armor by itself, agrees on success and on
    // the plaintext released.
    SecureBuffer released;
    SecureBufferWriter writer(released);
    MemoryReader whole(vector.body);
    Status status = decrypt(identities.pointers, whole, writer);
    CHECK(status.has_value() == (vector.expect == "success"));
    if (vector.expect == "success" || vector.expect == "payload failure") {
      CHECK(testing::sha256_hex(released.view()) == vector.payload_hash);
    }
    if (outcome.result == vector.expect) ++passed;
  }
  std::printf("age conformance vectors: %d passed, %d skipped (ML-KEM hybrid), of %zu\n", passed,
              skipped_post_quantum, names.size());
  MESSAGE(passed << " vectors passed, " << skipped_post_quantum << " ML-KEM vectors skipped");
  CHECK(passed == 125);
  CHECK(skipped_post_quantum == 18);
}

// The binary bytes of a vector's age file (armor removed).
std::string binary_file(const VectorFile& vector) {
  if (!vector.armored) return vector.body;
  MemoryReader raw(vector.body);
  ArmorReader armor(raw);
  StringWriter out;
  uint8_t buffer[4096];
  while (size_t count = MUST(armor.read(buffer, sizeof buffer)))
    MUST(out.write(buffer, count));
  return out.data();
}

TEST_CASE("headers that parse re-encode to the same bytes") {
  int checked = 0;
  for (const std::string& name : testing::list_vectors(kVectorDir)) {
    CAPTURE(name);
    VectorFile vector = testing::read_vector_file(kVectorDir + "/" + name);
    if (vector.expect == "header failure" || vector.expect == "armor failure") continue;
    std::string file = binary_file(vector);
    MemoryReader reader(file);
    BufferedReader in(reader);
    auto header = parse_header(in);
    REQUIRE(header.has_value());
    std::string encoded = encode_header(*header);
    CHECK(file.substr(0, encoded.size()) == encoded);
    ++checked;
  }
  CHECK(checked > 40);
}

TEST_CASE("armor of valid armored vectors re-encodes to the same text") {
  int checked = 0;
  for (const std::string& name : testing::list_vectors(kVectorDir)) {
    CAPTURE(name);
    VectorFile vector = testing::read_vector_file(kVectorDir + "/" + name);
    if (!vector.armored || vector.expect == "armor failure") continue;
    std::string file = binary_file(vector);
    MemoryReader reader(file);
    StringWriter out;
    ArmorWriter armor(out);
    REQUIRE(armor.write(file).has_value());
    REQUIRE(armor.finish().has_value());
    // Normalise as the testkit says: CRLF to LF, whitespace outside dropped.
    std::string normal;
    for (char c : vector.body) {
      if (c != '\r') normal += c;
    }
    normal = std::string(trim(normal)) + "\n";
    CHECK(out.data() == normal);
    ++checked;
  }
  CHECK(checked >= 8);
}

TEST_CASE("STREAM encryption reproduces the payload of success vectors") {
  int checked = 0;
  for (const std::string& name : testing::list_vectors(kVectorDir)) {
    CAPTURE(name);
    VectorFile vector = testing::read_vector_file(kVectorDir + "/" + name);
    if (vector.expect != "success" || vector.file_key_hex.size() != 32) continue;
    Identities identities = build_identities(vector);
    if (identities.post_quantum_only) continue;
    std::string file = binary_file(vector);
    MemoryReader reader(file);
    BufferedReader in(reader);
    Header header = MUST(parse_header(in));
    std::string rest = file.substr(encode_header(header).size());
    REQUIRE(rest.size() >= kPayloadNonceSize);

    SecureBuffer file_key = MUST(unwrap_file_key(header, identities.pointers));
    CHECK(to_hex(file_key.view()) == vector.file_key_hex);
    std::array<uint8_t, kPayloadNonceSize> nonce;
    std::memcpy(nonce.data(), rest.data(), nonce.size());
    SecureBuffer payload_key = derive_payload_key(file_key, nonce);

    SecureBuffer plaintext;
    SecureBufferWriter plain_writer(plaintext);
    MemoryReader ciphertext(std::string_view(rest).substr(kPayloadNonceSize));
    REQUIRE(stream_decrypt(payload_key, ciphertext, plain_writer).has_value());
    MemoryReader plain_reader(plaintext.view());
    StringWriter sealed;
    REQUIRE(stream_encrypt(payload_key, plain_reader, sealed).has_value());
    CHECK(sealed.data() == rest.substr(kPayloadNonceSize));
    ++checked;
  }
  CHECK(checked >= 20);
}

}  // namespace
}  // namespace reconcile::secrets
