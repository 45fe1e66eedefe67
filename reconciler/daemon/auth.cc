#include "reconciler/daemon/auth.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>

#include "reconciler/base/strings.h"

namespace reconcile::daemon {

namespace {

using Digest = std::array<unsigned char, crypto_auth_hmacsha256_BYTES>;

Digest hmac(const void* key, size_t key_size, std::string_view message) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, static_cast<const unsigned char*>(key), key_size);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  Digest digest;
  crypto_auth_hmacsha256_final(&state, digest.data());
  sodium_memzero(&state, sizeof state);
  return digest;
}

// A fixed-size digest of arbitrary bytes, so that values of different
// lengths compare in constant time.
std::array<unsigned char, crypto_generichash_BYTES> digest_of(const void* data, size_t size) {
  std::array<unsigned char, crypto_generichash_BYTES> digest;
  crypto_generichash(digest.data(), digest.size(), static_cast<const unsigned char*>(data), size,
                     nullptr, 0);
  return digest;
}

}  // namespace

Result<secrets::SecureBuffer> read_secret_file(const std::string& path) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return system_error(path + ": cannot read the secret file", errno);
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return failed_precondition(path + ": not a regular file");
  }
  if ((info.st_mode & S_IROTH) != 0) {
    ::close(fd);
    return invalid_argument(path + ": the secret file is readable by every user (chmod o-r)");
  }
  secrets::SecureBuffer secret;
  char chunk[4096];
  ssize_t count = 0;
  while ((count = ::read(fd, chunk, sizeof chunk)) > 0) {
    secret.append(chunk, static_cast<size_t>(count));
    if (secret.size() > 64 * 1024) break;
  }
  sodium_memzero(chunk, sizeof chunk);
  ::close(fd);
  if (count < 0) return system_error(path + ": cannot read the secret file", errno);
  size_t size = secret.size();
  while (size > 0 && (secret.data()[size - 1] == '\n' || secret.data()[size - 1] == '\r'))
    --size;
  secret.resize(size);
  if (secret.empty()) return invalid_argument(path + ": the secret file is empty");
  return secret;
}

bool webhook_signature_valid(const secrets::SecureBuffer& secret, std::string_view body,
                             std::string_view header) {
  if (secret.empty() || sodium_init() < 0) return false;
  constexpr std::string_view kPrefix = "sha256=";
  if (!starts_with(header, kPrefix)) return false;
  std::string_view hex = trim(header.substr(kPrefix.size()));
  Digest claimed;
  size_t decoded = 0;
  if (hex.size() != 2 * claimed.size() ||
      sodium_hex2bin(claimed.data(), claimed.size(), hex.data(), hex.size(), nullptr, &decoded,
                     nullptr) != 0 ||
      decoded != claimed.size()) {
    return false;
  }
  Digest expected = hmac(secret.data(), secret.size(), body);
  return sodium_memcmp(claimed.data(), expected.data(), expected.size()) == 0;
}

bool bearer_token_valid(const secrets::SecureBuffer& token, std::string_view authorization) {
  if (token.empty() || sodium_init() < 0) return false;
  constexpr std::string_view kPrefix = "Bearer ";
  if (!starts_with(authorization, kPrefix)) return false;
  std::string_view presented = trim(authorization.substr(kPrefix.size()));
  auto presented_digest = digest_of(presented.data(), presented.size());
  auto expected_digest = digest_of(token.data(), token.size());
  return sodium_memcmp(presented_digest.data(), expected_digest.data(), expected_digest.size()) ==
         0;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  if (sodium_init() < 0) return {};
  Digest digest = hmac(key.data(), key.size(), message);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace reconcile::daemon
