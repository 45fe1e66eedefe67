#include "reconciler/transport/host_key.h"

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_crypto.h"
#include "reconciler/transport/ssh_wire.h"

namespace reconcile::transport {

namespace {

bool plausible_type_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '@' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<PublicKey> public_key_from_blob(std::string_view blob) {
  WireReader reader(blob);
  auto type = reader.string();
  if (!type || !plausible_type_name(*type) || reader.at_end()) {
    return invalid_argument("not an SSH public key blob");
  }
  return PublicKey{std::string(*type), std::string(blob)};
}

Result<PublicKey> parse_public_key(std::string_view line) {
  std::string_view text = trim(line);
  size_t space = text.find_first_of(" \t");
  if (space == std::string_view::npos) {
    return invalid_argument("public key: expected \"TYPE BASE64 [COMMENT]\"");
  }
  std::string_view type = text.substr(0, space);
  std::string_view rest = trim(text.substr(space));
  size_t end = rest.find_first_of(" \t");
  std::string_view encoded = rest.substr(0, end);
  auto blob = base64_decode(encoded);
  if (!blob) return invalid_argument("public key: the key data is not valid base64");
  auto key = public_key_from_blob(*blob);
  if (!key.has_value()) return invalid_argument("public key: the key data is not an SSH key");
  if (key->type != type) {
    return invalid_argument("public key: the line says " + std::string(type) +
                            " but the key data is " + key->type);
  }
  return key;
}

std::string format_public_key(const PublicKey& key) {
  return key.type + " " + base64_encode(key.blob);
}

std::string fingerprint_sha256(std::string_view blob) {
  return "SHA256:" + base64_encode(sha256(blob), /*padded=*/false);
}

std::string key_type_label(std::string_view type) {
  if (type == "ssh-ed25519") return "ED25519";
  if (starts_with(type, "ecdsa-sha2-")) return "ECDSA";
  if (type == "ssh-rsa") return "RSA";
  if (type == "ssh-dss") return "DSA";
  return std::string(type);
}

}  // namespace reconcile::transport
