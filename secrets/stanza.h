#pragma once

// The recipient stanza of an age header, and the two interfaces every key
// type implements: a Recipient wraps a file key into a stanza, an Identity
// unwraps it again.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

// Every age file key is 16 random bytes.
inline constexpr size_t kFileKeySize = 16;

// "-> type arg…" followed by the body. Nothing in a stanza is secret: the
// body is the wrapped (encrypted) file key.
struct Stanza {
  std::string type;
  std::vector<std::string> args;
  std::vector<uint8_t> body;
};

class Recipient {
 public:
  virtual ~Recipient() = default;
  // Wraps the 16-byte file key for this recipient. Fails only when the
  // system cannot give what the key type needs (memory for scrypt).
  virtual Result<Stanza> wrap(const SecureBuffer& file_key) const = 0;
  // A passphrase (scrypt) recipient must be a file's only recipient.
  virtual bool is_passphrase() const { return false; }
};

class Identity {
 public:
  virtual ~Identity() = default;
  // Tries to unwrap the file key from one stanza. Returns std::nullopt when
  // the stanza is not for this identity (another type, another key, or a
  // body whose tag does not verify), and fails with kInvalidArgument when
  // the stanza has this identity's type but is malformed (argument count,
  // non-canonical base64, a share or body of the wrong length, a low-order
  // share, a work factor out of range). The unwrapped key is 16 bytes.
  virtual Result<std::optional<SecureBuffer>> unwrap(const Stanza& stanza) const = 0;
};

}  // namespace reconcile::secrets
