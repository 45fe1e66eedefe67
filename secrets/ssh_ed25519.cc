#include "secrets/ssh_ed25519.h"

#include <sodium.h>

#include "secrets/base64.h"
#include "secrets/hkdf.h"
#include "secrets/sodium_init.h"

namespace reconcile::secrets {
namespace {

constexpr std::string_view kLabel = "age-encryption.org/v1/ssh-ed25519";

std::string fingerprint_tag(const std::vector<uint8_t>& wire) {
  uint8_t hash[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(hash, wire.data(), wire.size());
  return base64_encode(std::span<const uint8_t>(hash, 4), Base64Padding::kNone);
}

// X25519(tweak, shared): binds the shared secret to the whole SSH key.
SecureBuffer tweak_shared_secret(const std::vector<uint8_t>& wire, const SecureBuffer& shared) {
  SecureBuffer tweak = hkdf_sha256({}, wire, kLabel, crypto_scalarmult_SCALARBYTES);
  SecureBuffer tweaked(crypto_scalarmult_BYTES);
  // The result cannot be zero for a shared secret that was not, and age
  // ignores this check here too.
  if (crypto_scalarmult(tweaked.data(), tweak.data(), shared.data()) != 0) {
    // Unreachable for a valid shared secret; the zero output then fails
    // to open the stanza, as it would in age.
  }
  return tweaked;
}

SecureBuffer derive_wrap_key(const SecureBuffer& shared, const std::vector<uint8_t>& share,
                             const X25519Key& recipient) {
  std::vector<uint8_t> salt(share);
  salt.insert(salt.end(), recipient.begin(), recipient.end());
  return hkdf_sha256({shared.data(), shared.size()}, salt, kLabel, 32);
}

}  // namespace

Result<SshEd25519Recipient> SshEd25519Recipient::parse(std::string_view line) {
  ensure_sodium_initialized();
  SshEd25519PublicKey key = TRY(parse_ssh_public_key(line));
  SshEd25519Recipient recipient;
  if (crypto_sign_ed25519_pk_to_curve25519(recipient.m_curve_public.data(), key.key.data()) != 0) {
    return invalid_argument("the ssh-ed25519 key is not a valid Ed25519 public key");
  }
  recipient.m_wire = std::move(key.wire);
  return recipient;
}

Result<Stanza> SshEd25519Recipient::wrap(const SecureBuffer& file_key) const {
  ensure_sodium_initialized();
  SecureBuffer ephemeral(crypto_scalarmult_SCALARBYTES);
  randombytes_buf(ephemeral.data(), ephemeral.size());
  std::vector<uint8_t> share(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(share.data(), ephemeral.data());
  SecureBuffer shared(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(shared.data(), ephemeral.data(), m_curve_public.data()) != 0) {
    return invalid_argument("the ssh-ed25519 recipient is a low-order point");
  }
  SecureBuffer tweaked = tweak_shared_secret(m_wire, shared);
  Stanza stanza;
  stanza.type = "ssh-ed25519";
  stanza.args = {fingerprint_tag(m_wire), base64_encode(share, Base64Padding::kNone)};
  stanza.body = seal_file_key(derive_wrap_key(tweaked, share, m_curve_public), file_key);
  return stanza;
}

Result<SshEd25519Identity> SshEd25519Identity::parse(std::string_view private_key_file) {
  SshEd25519PrivateKey key = TRY(parse_openssh_private_key(private_key_file));
  return from_key(key);
}

Result<SshEd25519Identity> SshEd25519Identity::from_key(const SshEd25519PrivateKey& key) {
  ensure_sodium_initialized();
  SshEd25519Identity identity;
  if (crypto_sign_ed25519_pk_to_curve25519(identity.m_curve_public.data(),
                                           key.public_key.key.data()) != 0) {
    return invalid_argument("the ssh-ed25519 key is not a valid Ed25519 public key");
  }
  identity.m_curve_secret = SecureBuffer(crypto_scalarmult_SCALARBYTES);
  crypto_sign_ed25519_sk_to_curve25519(identity.m_curve_secret.data(), key.secret_key.data());
  identity.m_wire = key.public_key.wire;
  identity.m_tag = fingerprint_tag(identity.m_wire);
  return identity;
}

Result<std::optional<SecureBuffer>> SshEd25519Identity::unwrap(const Stanza& stanza) const {
  if (stanza.type != "ssh-ed25519") return std::optional<SecureBuffer>();
  if (stanza.args.size() != 2) {
    return invalid_argument("ssh-ed25519 stanza needs exactly 2 arguments");
  }
  std::vector<uint8_t> share =
      TRY(decode_stanza_argument(stanza.args[1], crypto_scalarmult_BYTES, "ssh-ed25519 share"));
  if (stanza.args[0] != m_tag) return std::optional<SecureBuffer>();
  SecureBuffer shared(crypto_scalarmult_BYTES);
  if (crypto_scalarmult(shared.data(), m_curve_secret.data(), share.data()) != 0) {
    return invalid_argument("ssh-ed25519 share is a low-order point");
  }
  SecureBuffer tweaked = tweak_shared_secret(m_wire, shared);
  return open_file_key(derive_wrap_key(tweaked, share, m_curve_public), stanza.body);
}

}  // namespace reconcile::secrets
