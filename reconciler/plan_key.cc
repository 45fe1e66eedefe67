// The plan key on disk and the MACs made with it. The key file is written
// under a temporary name and linked into place, so a reader never sees half a
// key and two first uses racing each other agree on one key (link(2) fails
// for the loser, which then reads the winner's key).

#include "reconciler/plan_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

namespace reconcile {

namespace {

constexpr size_t kKeyBytes = crypto_auth_hmacsha256_KEYBYTES;
constexpr const char* kSecretDomain = "reconcile secret digest v1\n";
constexpr const char* kIdDomain = "reconcile plan key id v1\n";

std::string hex_of(const unsigned char* bytes, size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, size);
  hex.pop_back();
  return hex;
}

// Makes the state directory (0700) unless it exists; parents get the usual
// 0755 so that an existing /var/lib keeps its mode.
Status ensure_directory(const std::string& dir) {
  struct stat info {};
  if (stat(dir.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) return failed_precondition(dir + " is not a directory");
    return ok();
  }
  std::error_code error;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return system_error("cannot create the state directory " + dir, errno);
  }
  return ok();
}

Status create_key_file(const std::string& dir, const std::string& path) {
  unsigned char key[kKeyBytes];
  randombytes_buf(key, sizeof key);
  std::string hex = hex_of(key, sizeof key) + "\n";
  sodium_memzero(key, sizeof key);
  std::string temporary = path + ".XXXXXX";
  int fd = mkstemp(temporary.data());  // mode 0600
  if (fd < 0) {
    sodium_memzero(hex.data(), hex.size());
    return system_error("cannot create a plan key in " + dir, errno);
  }
  bool written =
      write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && fsync(fd) == 0;
  int write_errno = errno;
  sodium_memzero(hex.data(), hex.size());
  close(fd);
  if (!written) {
    unlink(temporary.c_str());
    return system_error("cannot write " + temporary, write_errno);
  }
  int linked = link(temporary.c_str(), path.c_str());
  int link_errno = errno;
  unlink(temporary.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return system_error("cannot create " + path, link_errno);
  }
  return ok();
}

Result<std::shared_ptr<const secrets::SecureBuffer>> read_key_file(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return system_error("cannot read the plan key " + path, errno);
  struct stat info {};
  fstat(fd, &info);
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return failed_precondition("the plan key " + path + " is not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
    return failed_precondition("the plan key " + path + " is readable by group or others (mode " +
                               mode + "); chmod 600 it");
  }
  if (info.st_size > static_cast<off_t>(kKeyBytes * 2 + 1)) {
    close(fd);
    return data_loss("the plan key " + path + " is not 64 hexadecimal characters");
  }
  char text[kKeyBytes * 2 + 2];
  ssize_t size = read(fd, text, sizeof text);
  close(fd);
  auto key = std::make_shared<secrets::SecureBuffer>(kKeyBytes);
  size_t decoded = 0;
  const char* end = nullptr;
  bool valid = size >= static_cast<ssize_t>(kKeyBytes * 2) &&
               sodium_hex2bin(key->data(), kKeyBytes, text, static_cast<size_t>(size), "\n",
                              &decoded, &end) == 0 &&
               decoded == kKeyBytes && end == text + size;
  sodium_memzero(text, sizeof text);
  if (!valid) return data_loss("the plan key " + path + " is not 64 hexadecimal characters");
  return std::shared_ptr<const secrets::SecureBuffer>(std::move(key));
}

void hmac(const secrets::SecureBuffer& key, std::string_view prefix, std::string_view message,
          unsigned char out[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()),
                                prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, out);
  sodium_memzero(&state, sizeof state);
}

}  // namespace

Result<PlanKey> PlanKey::load_or_create(const std::string& state_dir) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  TRY(ensure_directory(state_dir));
  std::string path = (std::filesystem::path(state_dir) / kFileName).string();
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    TRY(create_key_file(state_dir, path));
  }
  auto bytes = TRY(read_key_file(path));
  return PlanKey(std::move(bytes));
}

Result<PlanKey> PlanKey::load(const std::string& state_dir) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  std::string path = (std::filesystem::path(state_dir) / kFileName).string();
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    return not_found("no plan key " + path +
                     ": plans are checked with the key that signed them; install the plan.key "
                     "of the machine that made the plan, or pass its --state");
  }
  auto bytes = TRY(read_key_file(path));
  return PlanKey(std::move(bytes));
}

PlanKey PlanKey::from_bytes(std::string_view bytes) {
  if (bytes.size() != kKeyBytes) {
    std::fprintf(stderr, "BUG: a plan key must be %zu bytes\n", kKeyBytes);
    std::abort();
  }
  return PlanKey(std::make_shared<const secrets::SecureBuffer>(bytes.data(), bytes.size()));
}

std::string PlanKey::id() const {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  hmac(*m_bytes, kIdDomain, {}, out);
  return hex_of(out, 8);
}

std::string PlanKey::mac(std::string_view message) const {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  hmac(*m_bytes, {}, message, out);
  return hex_of(out, sizeof out);
}

bool PlanKey::verify(std::string_view message, std::string_view mac_hex) const {
  unsigned char expected[crypto_auth_hmacsha256_BYTES];
  size_t decoded = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(expected, sizeof expected, mac_hex.data(), mac_hex.size(), nullptr, &decoded,
                     &end) != 0 ||
      decoded != sizeof expected || end != mac_hex.data() + mac_hex.size()) {
    return false;
  }
  return crypto_auth_hmacsha256_verify(expected,
                                       reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), m_bytes->data()) == 0;
}

std::string PlanKey::secret_digest(std::string_view secret) const {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  hmac(*m_bytes, kSecretDomain, secret, out);
  return "hmac-sha256:" + hex_of(out, sizeof out);
}

bool equal_digests(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace reconcile
