#include "secrets/ssh_key.h"

#include <sodium.h>

#include <cstring>
#include <string>

#include "secrets/base64.h"
#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

constexpr std::string_view kEd25519 = "ssh-ed25519";
constexpr std::string_view kPemBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kPemEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

// Reads the SSH wire format (RFC 4251): big-endian uint32 and
// length-prefixed strings.
class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> data) : m_data(data) {}

  Result<uint32_t> read_u32() {
    if (m_data.size() - m_offset < 4) return invalid_argument("truncated key data");
    const uint8_t* p = m_data.data() + m_offset;
    m_offset += 4;
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
  }

  Result<std::span<const uint8_t>> read_string() {
    uint32_t size = TRY(read_u32());
    if (m_data.size() - m_offset < size) return invalid_argument("truncated key data");
    std::span<const uint8_t> result = m_data.subspan(m_offset, size);
    m_offset += size;
    return result;
  }

  std::span<const uint8_t> rest() const { return m_data.subspan(m_offset); }

 private:
  std::span<const uint8_t> m_data;
  size_t m_offset = 0;
};

std::string_view as_text(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Error unsupported_type(std::string_view type) {
  if (type == "ssh-rsa") {
    return invalid_argument("ssh-rsa keys are not supported (use an ssh-ed25519 key)");
  }
  return invalid_argument("unsupported SSH key type \"" + std::string(type.substr(0, 40)) +
                          "\" (only ssh-ed25519 is supported)");
}

// Parses a public key blob: string "ssh-ed25519", string key (32 bytes).
Result<SshEd25519PublicKey> parse_public_blob(std::span<const uint8_t> blob) {
  WireReader reader(blob);
  std::string_view type = as_text(TRY(reader.read_string()));
  if (type != kEd25519) return unsupported_type(type);
  std::span<const uint8_t> key = TRY(reader.read_string());
  if (key.size() != 32 || !reader.rest().empty()) {
    return invalid_argument("malformed ssh-ed25519 public key");
  }
  SshEd25519PublicKey result;
  result.wire.assign(blob.begin(), blob.end());
  std::memcpy(result.key.data(), key.data(), 32);
  return result;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

// The base64 between the PEM lines, without line breaks.
Result<SecureBuffer> pem_body(std::string_view text) {
  text = trim(text);
  if (!text.starts_with(kPemBegin)) {
    if (text.find("ENCRYPTED") != std::string_view::npos) {
      return invalid_argument("encrypted PEM private keys are not supported");
    }
    return invalid_argument(
        "not an OpenSSH private key (convert it with ssh-keygen -p -f FILE, which writes the "
        "OpenSSH format)");
  }
  size_t end = text.find(kPemEnd);
  if (end == std::string_view::npos || trim(text.substr(end + kPemEnd.size())).size() != 0) {
    return invalid_argument("OpenSSH private key without its END line");
  }
  SecureBuffer base64;
  for (char c : text.substr(kPemBegin.size(), end - kPemBegin.size())) {
    if (!is_space(c)) base64.append(&c, 1);
  }
  SecureBuffer decoded;
  if (!base64_decode(base64.view(), Base64Padding::kRequired, decoded)) {
    return invalid_argument("OpenSSH private key with invalid base64");
  }
  return decoded;
}

// The private section: check numbers, the key, comment and padding.
Status parse_private_section(std::span<const uint8_t> section, SshEd25519PrivateKey& key) {
  WireReader reader(section);
  uint32_t check1 = TRY(reader.read_u32());
  uint32_t check2 = TRY(reader.read_u32());
  if (check1 != check2) return invalid_argument("corrupt OpenSSH private key (check numbers)");
  std::string_view type = as_text(TRY(reader.read_string()));
  if (type != kEd25519) return unsupported_type(type);
  std::span<const uint8_t> public_key = TRY(reader.read_string());
  std::span<const uint8_t> secret_key = TRY(reader.read_string());
  TRY(reader.read_string());  // the comment
  std::span<const uint8_t> padding = reader.rest();
  bool padding_ok = padding.size() < 8;
  for (size_t i = 0; i < padding.size(); ++i)
    padding_ok &= padding[i] == i + 1;
  if (public_key.size() != 32 || secret_key.size() != 64 || !padding_ok ||
      std::memcmp(public_key.data(), key.public_key.key.data(), 32) != 0 ||
      std::memcmp(secret_key.data() + 32, public_key.data(), 32) != 0) {
    return invalid_argument("corrupt OpenSSH private key");
  }
  // The seed must give the public key, or the file was tampered with.
  ensure_sodium_initialized();
  uint8_t derived_public[32];
  SecureBuffer derived_secret(64);
  crypto_sign_seed_keypair(derived_public, derived_secret.data(), secret_key.data());
  if (std::memcmp(derived_public, public_key.data(), 32) != 0) {
    return invalid_argument("corrupt OpenSSH private key (public key does not match)");
  }
  key.secret_key = SecureBuffer(secret_key.data(), secret_key.size());
  return ok();
}

}  // namespace

Result<SshEd25519PublicKey> parse_ssh_public_key(std::string_view line) {
  line = trim(line);
  size_t space = line.find_first_of(" \t");
  std::string_view type = line.substr(0, space);
  if (type != kEd25519) return unsupported_type(type);
  if (space == std::string_view::npos) return invalid_argument("ssh-ed25519 key without data");
  std::string_view rest = trim(line.substr(space));
  std::string_view data = rest.substr(0, rest.find_first_of(" \t"));
  SecureBuffer blob;
  if (!base64_decode(data, Base64Padding::kRequired, blob)) {
    return invalid_argument("ssh-ed25519 key with invalid base64");
  }
  return parse_public_blob({blob.data(), blob.size()});
}

bool looks_like_pem_private_key(std::string_view text) {
  return trim(text).starts_with("-----BEGIN");
}

Result<SshEd25519PrivateKey> parse_openssh_private_key(std::string_view text) {
  SecureBuffer decoded = TRY(pem_body(text));
  std::span<const uint8_t> bytes(decoded.data(), decoded.size());
  if (bytes.size() < kMagic.size() || as_text(bytes.first(kMagic.size())) != kMagic) {
    return invalid_argument("not an openssh-key-v1 private key");
  }
  WireReader reader(bytes.subspan(kMagic.size()));
  std::string_view cipher = as_text(TRY(reader.read_string()));
  std::string_view kdf = as_text(TRY(reader.read_string()));
  TRY(reader.read_string());  // KDF options
  if (cipher != "none" || kdf != "none") {
    return invalid_argument(
        "the SSH private key is protected by a passphrase, which is not supported (use a key "
        "without one, or an age identity)");
  }
  if (TRY(reader.read_u32()) != 1) return invalid_argument("SSH key file must hold one key");
  SshEd25519PrivateKey key;
  key.public_key = TRY(parse_public_blob(TRY(reader.read_string())));
  TRY(parse_private_section(TRY(reader.read_string()), key));
  if (!reader.rest().empty()) return invalid_argument("corrupt OpenSSH private key");
  return key;
}

}  // namespace reconcile::secrets
