#include "secrets/age.h"

#include <sodium.h>

#include "secrets/armor.h"
#include "secrets/sodium_init.h"
#include "secrets/stream.h"

namespace reconcile::secrets {
namespace {

bool has_stanza_of_type(const Header& header, std::string_view type) {
  for (const Stanza& stanza : header.stanzas) {
    if (stanza.type == type) return true;
  }
  return false;
}

Status encrypt_binary(std::span<const Recipient* const> recipients, Reader& plaintext,
                      Writer& out) {
  SecureBuffer file_key(kFileKeySize);
  randombytes_buf(file_key.data(), file_key.size());
  Header header;
  for (const Recipient* recipient : recipients)
    header.stanzas.push_back(TRY(recipient->wrap(file_key)));
  header.mac = compute_header_mac(header, file_key);
  TRY(out.write(encode_header(header)));

  std::array<uint8_t, kPayloadNonceSize> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  TRY(out.write(nonce.data(), nonce.size()));
  return stream_encrypt(derive_payload_key(file_key, nonce), plaintext, out);
}

Status decrypt_binary(std::span<const Identity* const> identities, BufferedReader& in,
                      Writer& plaintext) {
  Header header = TRY(parse_header(in));
  SecureBuffer file_key = TRY(unwrap_file_key(header, identities));
  TRY(verify_header_mac(header, file_key));
  return decrypt_payload(file_key, in, plaintext);
}

}  // namespace

Status encrypt(std::span<const Recipient* const> recipients, Reader& plaintext, Writer& out,
               bool armor) {
  ensure_sodium_initialized();
  if (recipients.empty()) return invalid_argument("no recipients");
  for (const Recipient* recipient : recipients) {
    if (recipient->is_passphrase() && recipients.size() != 1) {
      return invalid_argument("a passphrase recipient must be the only recipient");
    }
  }
  if (!armor) return encrypt_binary(recipients, plaintext, out);
  ArmorWriter armored(out);
  TRY(encrypt_binary(recipients, plaintext, armored));
  return armored.finish();
}

Status decrypt(std::span<const Identity* const> identities, Reader& in, Writer& plaintext) {
  ensure_sodium_initialized();
  BufferedReader raw(in);
  if (!looks_armored(TRY(raw.peek(kArmorSniffSize)))) {
    return decrypt_binary(identities, raw, plaintext);
  }
  ArmorReader armor(raw);
  BufferedReader decoded(armor);
  return decrypt_binary(identities, decoded, plaintext);
}

Result<SecureBuffer> unwrap_file_key(const Header& header,
                                     std::span<const Identity* const> identities) {
  // The spec makes a passphrase file's scrypt stanza its only stanza, so
  // that a passphrase cannot be combined with keys that would weaken it.
  if (has_stanza_of_type(header, "scrypt") && header.stanzas.size() != 1) {
    return invalid_argument("an scrypt stanza must be the only stanza of the header");
  }
  for (const Identity* identity : identities) {
    for (const Stanza& stanza : header.stanzas) {
      std::optional<SecureBuffer> file_key = TRY(identity->unwrap(stanza));
      if (file_key) return std::move(*file_key);
    }
  }
  std::string message = "no identity matched any of the file's recipients";
  if (has_stanza_of_type(header, "scrypt")) message += " (the file is encrypted with a passphrase)";
  return unauthenticated(message);
}

Status verify_header_mac(const Header& header, const SecureBuffer& file_key) {
  std::array<uint8_t, 32> mac = compute_header_mac(header, file_key);
  if (sodium_memcmp(mac.data(), header.mac.data(), mac.size()) != 0) {
    return data_loss("header MAC mismatch");
  }
  return ok();
}

Status decrypt_payload(const SecureBuffer& file_key, Reader& in, Writer& plaintext) {
  std::array<uint8_t, kPayloadNonceSize> nonce;
  if (TRY(read_full(in, nonce.data(), nonce.size())) != nonce.size()) {
    return invalid_argument("the file ends before the payload nonce");
  }
  return stream_decrypt(derive_payload_key(file_key, nonce), in, plaintext);
}

}  // namespace reconcile::secrets
