#include "secrets/stream.h"

#include <sodium.h>

#include <string>
#include <utility>
#include <vector>

#include "secrets/hkdf.h"
#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

using Nonce = std::array<uint8_t, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;

// 2^64 chunks of 64 KiB can never be reached, so a 64-bit counter in the
// low bytes of the 11-byte big-endian counter is enough.
Nonce chunk_nonce(uint64_t counter, bool last) {
  Nonce nonce{};
  for (int i = 0; i < 8; ++i)
    nonce[10 - i] = static_cast<uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

bool open_chunk(const SecureBuffer& key, uint64_t counter, bool last, const uint8_t* sealed,
                size_t sealed_size, uint8_t* plaintext) {
  Nonce nonce = chunk_nonce(counter, last);
  return crypto_aead_chacha20poly1305_ietf_decrypt(plaintext, nullptr, nullptr, sealed, sealed_size,
                                                   nullptr, 0, nonce.data(), key.data()) == 0;
}

}  // namespace

SecureBuffer derive_payload_key(const SecureBuffer& file_key,
                                const std::array<uint8_t, kPayloadNonceSize>& nonce) {
  return hkdf_sha256({file_key.data(), file_key.size()}, nonce, "payload", 32);
}

Status stream_encrypt(const SecureBuffer& payload_key, Reader& plaintext, Writer& out) {
  ensure_sodium_initialized();
  // Two chunk buffers: the next chunk is read before the current one is
  // sealed, because only then is it known whether the current one is the
  // last. Reads stay whole chunks.
  SecureBuffer current(kChunkSize);
  SecureBuffer next(kChunkSize);
  std::vector<uint8_t> sealed(kChunkSize + kTagSize);
  size_t size = TRY(read_full(plaintext, current.data(), kChunkSize));
  for (uint64_t counter = 0;; ++counter) {
    size_t next_size = size < kChunkSize ? 0 : TRY(read_full(plaintext, next.data(), kChunkSize));
    bool last = next_size == 0;
    Nonce nonce = chunk_nonce(counter, last);
    unsigned long long sealed_size = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt(sealed.data(), &sealed_size, current.data(), size,
                                              nullptr, 0, nullptr, nonce.data(),
                                              payload_key.data());
    TRY(out.write(sealed.data(), sealed_size));
    if (last) return ok();
    std::swap(current, next);
    size = next_size;
  }
}

Status stream_decrypt(const SecureBuffer& payload_key, Reader& ciphertext, Writer& plaintext) {
  ensure_sodium_initialized();
  std::vector<uint8_t> sealed(kChunkSize + kTagSize);
  SecureBuffer chunk(kChunkSize);
  for (uint64_t counter = 0;; ++counter) {
    std::string where = "payload chunk " + std::to_string(counter);
    size_t size = TRY(read_full(ciphertext, sealed.data(), sealed.size()));
    if (size == 0) return data_loss("the payload ends without a final chunk (truncated file)");
    bool last = size < sealed.size();
    if (last && counter > 0 && size == kTagSize) {
      return data_loss(where + ": the final chunk is empty");
    }
    if (size < kTagSize) return data_loss(where + ": shorter than its tag (truncated file)");
    bool opened = open_chunk(payload_key, counter, last, sealed.data(), size, chunk.data());
    if (!opened && !last) {
      // A full-size chunk may also be the final one.
      last = true;
      opened = open_chunk(payload_key, counter, last, sealed.data(), size, chunk.data());
    }
    if (!opened) return data_loss(where + " failed authentication");
    TRY(plaintext.write(chunk.data(), size - kTagSize));
    if (last) {
      uint8_t extra = 0;
      if (TRY(read_full(ciphertext, &extra, 1)) != 0) {
        return data_loss("data follows the final payload chunk");
      }
      return ok();
    }
  }
}

}  // namespace reconcile::secrets
