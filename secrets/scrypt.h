#pragma once

// age passphrase recipients: "-> scrypt <salt> <log2 N>", the file key
// sealed under scrypt(passphrase, "age-encryption.org/v1/scrypt" | salt,
// N, r = 8, p = 1). A file with an scrypt stanza has no other stanza.

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"
#include "secrets/stanza.h"

namespace reconcile::secrets {

// age's default work factor (2^18: about 256 MiB and a second).
inline constexpr int kDefaultScryptWorkFactor = 18;
// The highest work factor a decryptor accepts, as age does; 2^22 takes
// 4 GiB of memory. A stanza above it is malformed, not merely foreign.
inline constexpr int kMaxScryptWorkFactor = 22;

class ScryptRecipient : public Recipient {
 public:
  ScryptRecipient(SecureBuffer passphrase, int work_factor = kDefaultScryptWorkFactor)
      : m_passphrase(std::move(passphrase)), m_work_factor(work_factor) {}

  // Fails with kInternal when scrypt cannot get its memory.
  Result<Stanza> wrap(const SecureBuffer& file_key) const override;
  bool is_passphrase() const override { return true; }

 private:
  SecureBuffer m_passphrase;
  int m_work_factor;
};

class ScryptIdentity : public Identity {
 public:
  explicit ScryptIdentity(SecureBuffer passphrase, int max_work_factor = kMaxScryptWorkFactor)
      : m_passphrase(std::move(passphrase)), m_max_work_factor(max_work_factor) {}

  // A stanza of type "scrypt" is malformed unless it has a 16-byte salt and
  // a work factor written in decimal without sign or leading zero, between
  // 1 and the maximum, and a 32-byte body.
  Result<std::optional<SecureBuffer>> unwrap(const Stanza& stanza) const override;

 private:
  SecureBuffer m_passphrase;
  int m_max_work_factor;
};

}  // namespace reconcile::secrets
