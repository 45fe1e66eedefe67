#include "secrets/base64.h"

#include <sodium.h>

#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

int variant(Base64Padding padding) {
  return padding == Base64Padding::kNone ? sodium_base64_VARIANT_ORIGINAL_NO_PADDING
                                         : sodium_base64_VARIANT_ORIGINAL;
}

}  // namespace

std::string base64_encode(std::span<const uint8_t> data, Base64Padding padding) {
  ensure_sodium_initialized();
  size_t length = sodium_base64_encoded_len(data.size(), variant(padding));
  std::string text(length, '\0');
  sodium_bin2base64(text.data(), length, data.data(), data.size(), variant(padding));
  text.resize(length - 1);  // the encoded length counts the terminating NUL
  return text;
}

Status base64_decode(std::string_view text, Base64Padding padding, SecureBuffer& out) {
  ensure_sodium_initialized();
  // libsodium checks the alphabet, the padding and that the unused bits are
  // zero; without an end pointer it also rejects trailing characters.
  out.resize(text.size() * 3 / 4 + 3);
  size_t decoded = 0;
  int result = sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr,
                                 &decoded, nullptr, variant(padding));
  if (result != 0) {
    out.clear();
    return invalid_argument("invalid base64");
  }
  out.resize(decoded);
  return ok();
}

}  // namespace reconcile::secrets
