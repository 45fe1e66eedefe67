#include "reconciler/daemon/sshsig.h"

#include <sodium.h>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_wire.h"

namespace reconcile::daemon {

namespace {

constexpr std::string_view kBegin = "-----BEGIN SSH SIGNATURE-----";
constexpr std::string_view kEnd = "-----END SSH SIGNATURE-----";
constexpr std::string_view kMagic = "SSHSIG";

// The base64 between the armor lines, whitespace removed.
Result<std::string> dearmor(std::string_view armored) {
  size_t begin = armored.find(kBegin);
  if (begin == std::string_view::npos) return invalid_argument("no BEGIN SSH SIGNATURE line");
  size_t body = begin + kBegin.size();
  size_t end = armored.find(kEnd, body);
  if (end == std::string_view::npos) return invalid_argument("no END SSH SIGNATURE line");
  std::string base64;
  for (char c : armored.substr(body, end - body)) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    base64 += c;
  }
  auto decoded = transport::base64_decode(base64);
  if (!decoded) return invalid_argument("the signature is not valid base64");
  return std::move(*decoded);
}

Result<std::string> hash_message(std::string_view algorithm, std::string_view message) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  if (algorithm == "sha512") {
    std::string digest(crypto_hash_sha512_BYTES, '\0');
    crypto_hash_sha512(reinterpret_cast<unsigned char*>(digest.data()), bytes, message.size());
    return digest;
  }
  if (algorithm == "sha256") {
    std::string digest(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()), bytes, message.size());
    return digest;
  }
  return unauthenticated("unsupported signature hash algorithm '" + std::string(algorithm) + "'");
}

}  // namespace

Result<SshSignature> parse_ssh_signature(std::string_view armored) {
  std::string blob = TRY(dearmor(armored));
  transport::WireReader reader(blob);
  auto magic = reader.bytes(kMagic.size());
  if (!magic || *magic != kMagic) return invalid_argument("not an SSHSIG signature (bad magic)");
  auto version = reader.u32();
  if (!version) return invalid_argument("truncated signature");
  if (*version != 1) {
    return invalid_argument("unsupported SSHSIG version " + std::to_string(*version));
  }
  auto key_blob = reader.string();
  auto name_space = reader.string();
  auto reserved = reader.string();
  auto hash = reader.string();
  auto signature_blob = reader.string();
  if (!signature_blob) return invalid_argument("truncated signature");
  if (!reader.at_end()) return invalid_argument("trailing bytes after the signature");
  (void)reserved;  // reserved for future use; not part of what is signed
  auto key = transport::public_key_from_blob(*key_blob);
  if (!key) return invalid_argument("bad public key in signature: " + key.error().message());
  transport::WireReader inner(*signature_blob);
  auto type = inner.string();
  auto bytes = inner.string();
  if (!bytes || !inner.at_end()) return invalid_argument("malformed signature field");
  SshSignature result;
  result.key = std::move(*key);
  result.name_space = std::string(*name_space);
  result.hash_algorithm = std::string(*hash);
  result.signature_type = std::string(*type);
  result.signature = std::string(*bytes);
  return result;
}

Status verify_ssh_signature(const SshSignature& signature, std::string_view message,
                            std::string_view name_space) {
  if (signature.name_space != name_space) {
    return unauthenticated("signature is for namespace '" + signature.name_space + "', not '" +
                           std::string(name_space) + "'");
  }
  if (signature.key.type != "ssh-ed25519" || signature.signature_type != "ssh-ed25519") {
    return unauthenticated("unsupported signature key type '" + signature.key.type +
                           "' (only ssh-ed25519 is verified)");
  }
  transport::WireReader key_reader(signature.key.blob);
  auto key_type = key_reader.string();
  auto public_key = key_reader.string();
  if (!key_type || !public_key || public_key->size() != crypto_sign_ed25519_PUBLICKEYBYTES ||
      !key_reader.at_end()) {
    return unauthenticated("malformed ssh-ed25519 public key");
  }
  if (signature.signature.size() != crypto_sign_ed25519_BYTES) {
    return unauthenticated("malformed ssh-ed25519 signature");
  }
  std::string digest = TRY(hash_message(signature.hash_algorithm, message));
  transport::WireWriter signed_data;
  signed_data.raw(kMagic);
  signed_data.string(name_space);
  signed_data.string("");
  signed_data.string(signature.hash_algorithm);
  signed_data.string(digest);
  if (sodium_init() < 0) return internal_error("libsodium failed to initialise");
  const std::string& data = signed_data.data();
  int verified = crypto_sign_ed25519_verify_detached(
      reinterpret_cast<const unsigned char*>(signature.signature.data()),
      reinterpret_cast<const unsigned char*>(data.data()), data.size(),
      reinterpret_cast<const unsigned char*>(public_key->data()));
  if (verified != 0) return unauthenticated("signature does not match the signed data");
  return ok();
}

}  // namespace reconcile::daemon
