#include "secrets/x25519.h"

#include <sodium.h>

#include <cstring>

#include "secrets/base64.h"
#include "secrets/bech32.h"
#include "secrets/hkdf.h"
#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/X25519";
constexpr std::string_view kRecipientPrefix = "age";
constexpr std::string_view kIdentityPrefix = "AGE-SECRET-KEY-";

SecureBuffer derive_wrap_key(const SecureBuffer& shared, const std::vector<uint8_t>& share,
                             const X25519Key& recipient) {
  std::vector<uint8_t> salt(share);
  salt.insert(salt.end(), recipient.begin(), recipient.end());
  return hkdf_sha256({shared.data(), shared.size()}, salt, kLabel, 32);
}

}  // namespace

std::vector<uint8_t> seal_file_key(const SecureBuffer& wrap_key, const SecureBuffer& file_key) {
  ensure_sodium_initialized();
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
  std::vector<uint8_t> body(file_key.size() + crypto_aead_chacha20poly1305_ietf_ABYTES);
  crypto_aead_chacha20poly1305_ietf_encrypt(body.data(), nullptr, file_key.data(), file_key.size(),
                                            nullptr, 0, nullptr, nonce, wrap_key.data());
  return body;
}

Result<std::optional<SecureBuffer>> open_file_key(const SecureBuffer& wrap_key,
                                                  const std::vector<uint8_t>& body) {
  ensure_sodium_initialized();
  if (body.size() != kFileKeySize + crypto_aead_chacha20poly1305_ietf_ABYTES) {
    return invalid_argument("stanza body is not a 16-byte file key and its tag");
  }
  uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = {};
  SecureBuffer file_key(kFileKeySize);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key.data(), nullptr, nullptr, body.data(),
                                                body.size(), nullptr, 0, nonce,
                                                wrap_key.data()) != 0) {
    return std::optional<SecureBuffer>();
  }
  return std::optional<SecureBuffer>(std::move(file_key));
}

Result<std::vector<uint8_t>> decode_stanza_argument(std::string_view argument, size_t size,
                                                    std::string_view what) {
  SecureBuffer decoded;
  if (!base64_decode(argument, Base64Padding::kNone, decoded) || decoded.size() != size) {
    return invalid_argument(std::string(what) + " is not " + std::to_string(size) +
                            " bytes of canonical unpadded base64");
  }
  return std::vector<uint8_t>(decoded.data(), decoded.data() + decoded.size());
}

Result<X25519Recipient> X25519Recipient::parse(std::string_view text) {
  auto decoded = bech32_decode(text);
  if (!decoded) return invalid_argument("invalid age recipient: " + decoded.error().message());
  if (decoded->hrp != kRecipientPrefix) {
    return invalid_argument("invalid age recipient: it must start with \"age1\" in lower case");
  }
  if (decoded->data.size() != 32) return invalid_argument("invalid age recipient: wrong length");
  X25519Key key;
  std::memcpy(key.data(), decoded->data.data(), key.size());
  return X25519Recipient(key);
}

std::string X25519Recipient::to_string() const {
  SecureBuffer text = bech32_encode(kRecipientPrefix, m_public_key, false);
  return std::string(text.view());
}

Result<Stanza> X25519Recipient::wrap(const SecureBuffer& file_key) const {
  ensure_sodium_initialized();
  SecureBuffer ephemeral(crypto_scalarmult_SCALARBYTES);
  randombytes_buf(ephemeral.data(), ephemeral.size());
  std::vector<uint8_t> share(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(share.data(), ephemeral.data());
  SecureBuffer shared(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(shared.data(), ephemeral.data(), m_public_key.data()) != 0) {
    return invalid_argument("the X25519 recipient is a low-order point");
  }
  Stanza stanza;
  stanza.type = "X25519";
  stanza.args.push_back(base64_encode(share, Base64Padding::kNone));
  stanza.body = seal_file_key(derive_wrap_key(shared, share, m_public_key), file_key);
  return stanza;
}

X25519Identity::X25519Identity(SecureBuffer secret) : m_secret(std::move(secret)) {
  ensure_sodium_initialized();
  crypto_scalarmult_base(m_public_key.data(), m_secret.data());
}

Result<X25519Identity> X25519Identity::parse(std::string_view text) {
  auto decoded = bech32_decode(text);
  if (!decoded) return invalid_argument("invalid age identity: " + decoded.error().message());
  if (decoded->hrp != kIdentityPrefix) {
    return invalid_argument(
        "invalid age identity: it must start with \"AGE-SECRET-KEY-1\" in upper case");
  }
  if (decoded->data.size() != 32) return invalid_argument("invalid age identity: wrong length");
  return X25519Identity(std::move(decoded->data));
}

X25519Identity X25519Identity::generate() {
  ensure_sodium_initialized();
  SecureBuffer secret(crypto_scalarmult_SCALARBYTES);
  randombytes_buf(secret.data(), secret.size());
  return X25519Identity(std::move(secret));
}

SecureBuffer X25519Identity::to_secret_string() const {
  return bech32_encode(kIdentityPrefix, {m_secret.data(), m_secret.size()}, true);
}

Result<std::optional<SecureBuffer>> X25519Identity::unwrap(const Stanza& stanza) const {
  if (stanza.type != "X25519") return std::optional<SecureBuffer>();
  if (stanza.args.size() != 1) return invalid_argument("X25519 stanza needs exactly 1 argument");
  std::vector<uint8_t> share =
      TRY(decode_stanza_argument(stanza.args[0], crypto_scalarmult_BYTES, "X25519 share"));
  SecureBuffer shared(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(shared.data(), m_secret.data(), share.data()) != 0) {
    return invalid_argument("X25519 share is a low-order point");
  }
  return open_file_key(derive_wrap_key(shared, share, m_public_key), stanza.body);
}

}  // namespace reconcile::secrets
