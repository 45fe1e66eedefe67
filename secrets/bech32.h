#pragma once

// Bech32 (BIP 173, the original checksum constant, not Bech32m) as age uses
// it for its keys: `age1…` recipients (lower case) and `AGE-SECRET-KEY-1…`
// identities (upper case). Unlike BIP 173 there is no 90-character limit.
// Strings are all lower or all upper case; mixed case is rejected.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

struct Bech32Data {
  std::string hrp;    // the human-readable part, in the case it was written
  SecureBuffer data;  // the payload, 8 bits per byte (may be key material)
};

// Encodes `data` under the human-readable part `hrp` (printable ASCII
// without '1' problems: the last '1' is the separator). Returns the text in
// upper case when `upper_case`, else in lower case. The result is a
// SecureBuffer because it may spell a secret key.
SecureBuffer bech32_encode(std::string_view hrp, std::span<const uint8_t> data, bool upper_case);

// Decodes a Bech32 string. Fails with kInvalidArgument and a message that
// never repeats the input (it may be a secret key): mixed case, a missing
// or misplaced separator, a character outside the alphabet, a bad
// checksum, or non-zero padding bits.
Result<Bech32Data> bech32_decode(std::string_view text);

}  // namespace reconcile::secrets
