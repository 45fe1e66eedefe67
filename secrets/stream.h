#pragma once

// The age payload: STREAM (Hoang, Reyhanitabar, Rogaway, Vizár) over
// ChaCha20-Poly1305. The plaintext is cut into 64 KiB chunks; chunk i is
// sealed with the nonce (i as an 11-byte big-endian counter, then 0x01 for
// the last chunk and 0x00 otherwise). Only the last chunk may be shorter,
// and it may be empty only when it is the only chunk (an empty file).
// Both directions use two chunk buffers and nothing else, whatever the size.

#include <array>
#include <cstdint>

#include "reconciler/base/result.h"
#include "secrets/io.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

inline constexpr size_t kChunkSize = 64 * 1024;
inline constexpr size_t kTagSize = 16;
inline constexpr size_t kPayloadNonceSize = 16;

// The payload key: HKDF-SHA256(ikm = file key, salt = nonce, info = "payload").
SecureBuffer derive_payload_key(const SecureBuffer& file_key,
                                const std::array<uint8_t, kPayloadNonceSize>& nonce);

// Encrypts everything `plaintext` yields to `out` under the 32-byte payload
// key. Fails only when reading or writing fails.
Status stream_encrypt(const SecureBuffer& payload_key, Reader& plaintext, Writer& out);

// Decrypts `ciphertext` to `plaintext`, releasing each chunk as soon as its
// tag verifies (so a failure can come after some plaintext was written; a
// caller that must not keep partial output discards it). Fails with
// kDataLoss when a chunk does not verify, when the input ends before a
// last chunk, when a last chunk is empty (unless it is the only chunk),
// and when data follows the last chunk; failures of the reader or writer
// are passed on.
Status stream_decrypt(const SecureBuffer& payload_key, Reader& ciphertext, Writer& plaintext);

}  // namespace reconcile::secrets
