#pragma once

// age's native key type: X25519 recipients ("age1…", Bech32 with the
// prefix "age") and identities ("AGE-SECRET-KEY-1…"). A stanza is
// "-> X25519 <ephemeral share>" with the file key sealed by
// ChaCha20-Poly1305 under HKDF-SHA256(X25519(ephemeral, recipient),
// salt = share | recipient, info = "age-encryption.org/v1/X25519").

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"
#include "secrets/stanza.h"

namespace reconcile::secrets {

using X25519Key = std::array<uint8_t, 32>;

class X25519Recipient : public Recipient {
 public:
  explicit X25519Recipient(const X25519Key& public_key) : m_public_key(public_key) {}

  // Parses "age1…". Fails with kInvalidArgument on a bad Bech32 string, a
  // prefix other than "age" (upper case is refused, as age does), or a key
  // that is not 32 bytes.
  static Result<X25519Recipient> parse(std::string_view text);

  // The "age1…" form.
  std::string to_string() const;

  Result<Stanza> wrap(const SecureBuffer& file_key) const override;

 private:
  X25519Key m_public_key;
};

class X25519Identity : public Identity {
 public:
  // Parses "AGE-SECRET-KEY-1…" (upper case only, as age writes it). The
  // error never repeats the input.
  static Result<X25519Identity> parse(std::string_view text);

  // A fresh identity from libsodium's random source.
  static X25519Identity generate();

  X25519Recipient recipient() const { return X25519Recipient(m_public_key); }

  // The "AGE-SECRET-KEY-1…" form, in a SecureBuffer.
  SecureBuffer to_secret_string() const;

  Result<std::optional<SecureBuffer>> unwrap(const Stanza& stanza) const override;

 private:
  explicit X25519Identity(SecureBuffer secret);

  SecureBuffer m_secret;
  X25519Key m_public_key{};
};

// Wraps and unwraps a 16-byte file key with ChaCha20-Poly1305 under a
// 32-byte key and the all-zero nonce, as every age stanza does. unwrap
// returns std::nullopt when the tag does not verify, and fails with
// kInvalidArgument when the body is not 32 bytes (a 16-byte key and tag).
std::vector<uint8_t> seal_file_key(const SecureBuffer& wrap_key, const SecureBuffer& file_key);
Result<std::optional<SecureBuffer>> open_file_key(const SecureBuffer& wrap_key,
                                                  const std::vector<uint8_t>& body);

// Decodes an unpadded base64 stanza argument that must be exactly `size`
// bytes; fails with kInvalidArgument naming `what`.
Result<std::vector<uint8_t>> decode_stanza_argument(std::string_view argument, size_t size,
                                                    std::string_view what);

}  // namespace reconcile::secrets
