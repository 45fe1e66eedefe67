// The ASCII armor and the STREAM payload on their own: round trips at the
// sizes where lines and chunks change, and the failures each must detect.

#include <doctest/doctest.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstring>

#include "secrets/armor.h"
#include "secrets/stream.h"

namespace reconcile::secrets {
namespace {

std::string pattern(size_t size) {
  std::string text(size, '\0');
  for (size_t i = 0; i < size; ++i)
    text[i] = static_cast<char>((i * 131 + i / 251) & 0xff);
  return text;
}

std::string armor(std::string_view data) {
  StringWriter out;
  ArmorWriter writer(out);
  REQUIRE(writer.write(data).has_value());
  REQUIRE(writer.finish().has_value());
  return out.data();
}

Result<std::string> dearmor(std::string_view text) {
  MemoryReader in(text);
  ArmorReader reader(in);
  StringWriter out;
  uint8_t buffer[100];
  while (true) {
    size_t count = TRY(reader.read(buffer, sizeof buffer));
    if (count == 0) return out.data();
    TRY(out.write(buffer, count));
  }
}

TEST_CASE("armor round-trips at every line boundary") {
  for (size_t size : {0, 1, 2, 3, 47, 48, 49, 95, 96, 97, 1000, 70000}) {
    CAPTURE(size);
    std::string data = pattern(size);
    std::string text = armor(data);
    CHECK(text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    CHECK(text.ends_with("\n-----END AGE ENCRYPTED FILE-----\n"));
    CHECK(MUST(dearmor(text)) == data);
  }
}

TEST_CASE("armor lines are 64 columns and the reader enforces it") {
  std::string text = armor(pattern(200));
  size_t first_newline = text.find('\n');
  CHECK(text.find('\n', first_newline + 1) - first_newline - 1 == 64);

  SUBCASE("CRLF line endings are accepted") {
    std::string crlf;
    for (char c : text)
      crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    CHECK(MUST(dearmor(crlf)) == pattern(200));
  }
  SUBCASE("a shortened middle line is refused") {
    std::string broken = text;
    broken.erase(first_newline + 10, 4);
    auto result = dearmor(broken);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().message().starts_with("armor line 2:"));
  }
  SUBCASE("whitespace up to 1 KiB around the armor is accepted, more is not") {
    CHECK(dearmor(std::string(1000, '\n') + text + std::string(1000, ' ')).has_value());
    CHECK_FALSE(dearmor(std::string(1100, '\n') + text).has_value());
    CHECK_FALSE(dearmor(text + std::string(1100, ' ')).has_value());
  }
  SUBCASE("anything else after the END line is refused") {
    CHECK_FALSE(dearmor(text + "x").has_value());
  }
}

TEST_CASE("armor detection looks past leading whitespace only") {
  auto detect = [](std::string_view text) {
    return looks_armored({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  };
  CHECK(detect("-----BEGIN AGE ENCRYPTED FILE-----\n"));
  CHECK(detect(" \r\n\t-----BEGIN AGE"));
  CHECK_FALSE(detect("age-encryption.org/v1\n"));
  CHECK_FALSE(detect("x-----BEGIN"));
}

SecureBuffer test_key() {
  SecureBuffer key(32);
  for (size_t i = 0; i < key.size(); ++i)
    key.data()[i] = static_cast<uint8_t>(i);
  return key;
}

std::string seal(std::string_view plaintext) {
  MemoryReader in(plaintext);
  StringWriter out;
  REQUIRE(stream_encrypt(test_key(), in, out).has_value());
  return out.data();
}

Result<std::string> open(std::string_view sealed) {
  MemoryReader in(sealed);
  SecureBuffer plaintext;
  SecureBufferWriter out(plaintext);
  TRY(stream_decrypt(test_key(), in, out));
  return std::string(plaintext.view());
}

TEST_CASE("STREAM round-trips at chunk boundaries") {
  for (size_t size : {0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5}) {
    CAPTURE(size);
    std::string data = pattern(size);
    std::string sealed = seal(data);
    size_t chunks = size == 0 ? 1 : (size + kChunkSize - 1) / kChunkSize;
    CHECK(sealed.size() == size + chunks * kTagSize);
    CHECK(MUST(open(sealed)) == data);
  }
}

TEST_CASE("STREAM detects truncation, reordering, tampering and trailing data") {
  std::string data = pattern(2 * kChunkSize + 10);
  std::string sealed = seal(data);
  const size_t sealed_chunk = kChunkSize + kTagSize;
  CHECK_FALSE(open(sealed.substr(0, 2 * sealed_chunk)).has_value());  // last chunk dropped
  CHECK_FALSE(open(sealed.substr(0, sealed.size() - 1)).has_value());
  CHECK_FALSE(open(sealed + "x").has_value());
  CHECK_FALSE(open("").has_value());
  std::string swapped = sealed.substr(sealed_chunk, sealed_chunk) + sealed.substr(0, sealed_chunk) +
                        sealed.substr(2 * sealed_chunk);
  CHECK_FALSE(open(swapped).has_value());
  for (size_t position : {size_t{0}, sealed_chunk + 7, sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[position] ^= 1;
    auto result = open(tampered);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::kDataLoss);
  }
}

// Produces `size` bytes of a pattern without holding them.
class PatternReader : public Reader {
 public:
  explicit PatternReader(size_t size) : m_left(size) {}
  Result<size_t> read(uint8_t* buffer, size_t size) override {
    size_t count = std::min(size, m_left);
    std::memset(buffer, 0x5a, count);
    m_left -= count;
    return count;
  }

 private:
  size_t m_left;
};

class CountingWriter : public Writer {
 public:
  using Writer::write;
  Status write(const uint8_t*, size_t size) override {
    m_total += size;
    return ok();
  }
  size_t total() const { return m_total; }

 private:
  size_t m_total = 0;
};

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_CASE("STREAM encryption and decryption use constant memory") {
  const size_t size = 48 * 1024 * 1024;
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  long before = peak_rss_kib();
  {
    PatternReader in(size);
    FdWriter out(fileno(file), "temporary file");
    REQUIRE(stream_encrypt(test_key(), in, out).has_value());
  }
  std::rewind(file);
  CountingWriter plaintext;
  FdReader in(fileno(file), "temporary file");
  REQUIRE(stream_decrypt(test_key(), in, plaintext).has_value());
  std::fclose(file);
  CHECK(plaintext.total() == size);
  // Buffers are a few chunks; a whole-file buffer would add 48 MiB.
  CHECK(peak_rss_kib() - before < 8 * 1024);
}

}  // namespace
}  // namespace reconcile::secrets
