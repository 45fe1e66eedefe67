// OpenSSH's private key format (PROTOCOL.key), written for one ed25519 key
// without encryption:
//
//   "openssh-key-v1\0" string "none" string "none" string "" uint32 1
//   string public_blob string private_section
//   private_section = uint32 check uint32 check string "ssh-ed25519"
//                     string pk(32) string sk(64: seed || pk) string comment
//                     padding 1, 2, 3, ... to a multiple of 8
//
// Everything that holds the secret half is built in SecureBuffers, including
// the base64 text, so no copy of it is left in freed memory.

#include "reconciler/bootstrap/host_keys.h"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "reconciler/base/strings.h"
#include "reconciler/transport/host_key.h"
#include "reconciler/transport/ssh_key_file.h"
#include "reconciler/transport/ssh_wire.h"

namespace reconcile::bootstrap {

namespace {

constexpr std::string_view kKeyType = "ssh-ed25519";

void put_u32(secrets::SecureBuffer& out, uint32_t value) {
  uint8_t bytes[4] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                      static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  out.append(bytes, 4);
}

void put_string(secrets::SecureBuffer& out, const void* data, size_t size) {
  put_u32(out, static_cast<uint32_t>(size));
  out.append(data, size);
}

void put_string(secrets::SecureBuffer& out, std::string_view text) {
  put_string(out, text.data(), text.size());
}

// Base64 with 70-character lines, as OpenSSH writes key files.
secrets::SecureBuffer armor(const secrets::SecureBuffer& binary) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  secrets::SecureBuffer text;
  std::string_view begin = "-----BEGIN OPENSSH PRIVATE KEY-----\n";
  std::string_view end = "-----END OPENSSH PRIVATE KEY-----\n";
  text.append(begin.data(), begin.size());
  const uint8_t* in = binary.data();
  size_t line = 0;
  for (size_t i = 0; i < binary.size(); i += 3) {
    uint32_t group = static_cast<uint32_t>(in[i]) << 16;
    size_t count = std::min<size_t>(3, binary.size() - i);
    if (count > 1) group |= static_cast<uint32_t>(in[i + 1]) << 8;
    if (count > 2) group |= in[i + 2];
    char quad[4];
    for (int k = 0; k < 4; ++k)
      quad[k] = kAlphabet[(group >> (18 - 6 * k)) & 63];
    if (count < 3) quad[3] = '=';
    if (count < 2) quad[2] = '=';
    for (char c : quad) {
      text.append(&c, 1);
      if (++line == 70) {
        text.append("\n", 1);
        line = 0;
      }
    }
    sodium_memzero(&group, sizeof group);
    sodium_memzero(quad, sizeof quad);
  }
  if (line != 0) text.append("\n", 1);
  text.append(end.data(), end.size());
  return text;
}

std::string public_blob(const uint8_t* public_key) {
  transport::WireWriter writer;
  writer.string(kKeyType);
  writer.string(std::string_view(reinterpret_cast<const char*>(public_key),
                                 crypto_sign_ed25519_PUBLICKEYBYTES));
  return writer.release();
}

}  // namespace

Result<HostKeyPair> generate_host_key(const std::string& comment) {
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  if (comment.find_first_of("\r\n") != std::string::npos) {
    return invalid_argument("a host key comment must be one line");
  }
  uint8_t public_key[crypto_sign_ed25519_PUBLICKEYBYTES];
  secrets::SecureBuffer secret_key(crypto_sign_ed25519_SECRETKEYBYTES);
  crypto_sign_ed25519_keypair(public_key, secret_key.data());
  std::string blob = public_blob(public_key);

  secrets::SecureBuffer section;
  uint32_t check = randombytes_random();
  put_u32(section, check);
  put_u32(section, check);
  put_string(section, kKeyType);
  put_string(section, public_key, sizeof public_key);
  put_string(section, secret_key.data(), secret_key.size());
  put_string(section, comment);
  for (uint8_t pad = 1; section.size() % 8 != 0; ++pad)
    section.append(&pad, 1);

  secrets::SecureBuffer file;
  file.append("openssh-key-v1\0", 15);
  put_string(file, "none");
  put_string(file, "none");
  put_string(file, "");
  put_u32(file, 1);
  put_string(file, blob);
  put_string(file, section.data(), section.size());

  HostKeyPair pair;
  pair.public_line = std::string(kKeyType) + " " + transport::base64_encode(blob) +
                     (comment.empty() ? "" : " " + comment);
  pair.private_key = armor(file);
  return pair;
}

Result<HostKeyPair> load_host_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read host key file " + path);
  secrets::SecureBuffer text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
    if (text.size() > (1u << 20)) return invalid_argument(path + ": not a host key (too large)");
  }
  sodium_memzero(chunk, sizeof chunk);
  auto parsed = transport::parse_key_file(text.view(), path);
  if (!parsed) return std::move(parsed).error();
  if (parsed->encrypted) {
    return invalid_argument(path + ": the key is encrypted; sshd needs an unencrypted host key");
  }
  if (parsed->public_key.type != kKeyType) {
    return invalid_argument(path + ": a " + parsed->public_key.type +
                            " key; bootstrap places ed25519 host keys only");
  }
  HostKeyPair pair;
  pair.public_line = transport::format_public_key(parsed->public_key);
  pair.private_key = std::move(text);
  return pair;
}

std::string pin_of(const std::string& public_line) {
  std::vector<std::string> fields = split(public_line, ' ');
  if (fields.size() < 2) return public_line;
  return fields[0] + " " + fields[1];
}

}  // namespace reconcile::bootstrap
