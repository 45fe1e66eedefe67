#include "secrets/scrypt.h"

#include <sodium.h>

#include "secrets/base64.h"
#include "secrets/sodium_init.h"
#include "secrets/x25519.h"

namespace reconcile::secrets {
namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/scrypt";
constexpr size_t kSaltSize = 16;

Result<SecureBuffer> derive_wrap_key(const SecureBuffer& passphrase,
                                     const std::vector<uint8_t>& salt, int work_factor) {
  ensure_sodium_initialized();
  std::vector<uint8_t> full_salt(kLabel.begin(), kLabel.end());
  full_salt.insert(full_salt.end(), salt.begin(), salt.end());
  SecureBuffer key(32);
  static const uint8_t kEmpty = 0;
  const uint8_t* password = passphrase.empty() ? &kEmpty : passphrase.data();
  if (crypto_pwhash_scryptsalsa208sha256_ll(password, passphrase.size(), full_salt.data(),
                                            full_salt.size(), uint64_t{1} << work_factor, 8, 1,
                                            key.data(), key.size()) != 0) {
    return internal_error("scrypt failed (out of memory for work factor " +
                          std::to_string(work_factor) + "?)");
  }
  return key;
}

// The work factor as age writes it: decimal digits, no sign, no leading
// zero. Returns 0 for anything else.
int parse_work_factor(std::string_view text) {
  if (text.empty() || text.size() > 2 || text[0] == '0') return 0;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Result<Stanza> ScryptRecipient::wrap(const SecureBuffer& file_key) const {
  ensure_sodium_initialized();
  std::vector<uint8_t> salt(kSaltSize);
  randombytes_buf(salt.data(), salt.size());
  SecureBuffer wrap_key = TRY(derive_wrap_key(m_passphrase, salt, m_work_factor));
  Stanza stanza;
  stanza.type = "scrypt";
  stanza.args = {base64_encode(salt, Base64Padding::kNone), std::to_string(m_work_factor)};
  stanza.body = seal_file_key(wrap_key, file_key);
  return stanza;
}

Result<std::optional<SecureBuffer>> ScryptIdentity::unwrap(const Stanza& stanza) const {
  if (stanza.type != "scrypt") return std::optional<SecureBuffer>();
  if (stanza.args.size() != 2) return invalid_argument("scrypt stanza needs exactly 2 arguments");
  std::vector<uint8_t> salt = TRY(decode_stanza_argument(stanza.args[0], kSaltSize, "scrypt salt"));
  int work_factor = parse_work_factor(stanza.args[1]);
  if (work_factor < 1) return invalid_argument("scrypt work factor is not a positive decimal");
  if (work_factor > m_max_work_factor) {
    return invalid_argument("scrypt work factor " + std::to_string(work_factor) +
                            " is over the limit of " + std::to_string(m_max_work_factor));
  }
  if (stanza.body.size() != kFileKeySize + 16) {
    return invalid_argument("stanza body is not a 16-byte file key and its tag");
  }
  SecureBuffer wrap_key = TRY(derive_wrap_key(m_passphrase, salt, work_factor));
  return open_file_key(wrap_key, stanza.body);
}

}  // namespace reconcile::secrets
