// Whole-file encryption and decryption through the public API: every key
// type, binary and armored, and the errors a user sees.

#include "secrets/age.h"

#include <doctest/doctest.h>

#include "secrets/keys.h"
#include "secrets/scrypt.h"
#include "secrets/x25519.h"
#include "tests/unit/secrets/vector_file.h"

namespace reconcile::secrets {
namespace {

const std::string kSshDir = RECONCILE_SOURCE_DIR "/tests/data/age-ssh-ed25519";

SecureBuffer secure(std::string_view text) {
  return SecureBuffer(text.data(), text.size());
}

std::string encrypt_to(std::vector<const Recipient*> recipients, std::string_view plaintext,
                       bool armor) {
  MemoryReader in(plaintext);
  StringWriter out;
  REQUIRE(encrypt(recipients, in, out, armor).has_value());
  return out.data();
}

Result<std::string> decrypt_with(std::vector<const Identity*> identities,
                                 std::string_view ciphertext) {
  MemoryReader in(ciphertext);
  SecureBuffer plaintext;
  SecureBufferWriter out(plaintext);
  TRY(decrypt(identities, in, out));
  return std::string(plaintext.view());
}

TEST_CASE("every key type round-trips, binary and armored") {
  X25519Identity x25519 = X25519Identity::generate();
  X25519Recipient x25519_recipient = x25519.recipient();
  auto ssh_recipient = MUST(parse_recipient(testing::read_whole_file(kSshDir + "/id_ed25519.pub")));
  IdentityList ssh_identity = MUST(
      parse_identity_file(secure(testing::read_whole_file(kSshDir + "/id_ed25519")), "id_ed25519"));
  ScryptRecipient scrypt_recipient(secure("hunter2"), 10);
  ScryptIdentity scrypt_identity(secure("hunter2"));

  struct Case {
    const char* name;
    const Recipient* recipient;
    const Identity* identity;
  };
  for (Case c : {Case{"X25519", &x25519_recipient, &x25519},
                 Case{"ssh-ed25519", ssh_recipient.get(), ssh_identity[0].get()},
                 Case{"scrypt", &scrypt_recipient, &scrypt_identity}}) {
    for (bool armor : {false, true}) {
      for (size_t size : {0, 1, 65536, 65537}) {
        CAPTURE(c.name);
        CAPTURE(armor);
        CAPTURE(size);
        std::string plaintext(size, 'p');
        std::string file = encrypt_to({c.recipient}, plaintext, armor);
        CHECK(file.starts_with(armor ? "-----BEGIN AGE" : "age-encryption.org/v1\n"));
        CHECK(MUST(decrypt_with({c.identity}, file)) == plaintext);
      }
    }
  }
}

TEST_CASE("a file for several recipients opens with each of their identities") {
  X25519Identity alice = X25519Identity::generate();
  X25519Identity bob = X25519Identity::generate();
  X25519Recipient r1 = alice.recipient(), r2 = bob.recipient();
  std::string file = encrypt_to({&r1, &r2}, "shared", false);
  CHECK(MUST(decrypt_with({&bob}, file)) == "shared");
  CHECK(MUST(decrypt_with({&alice}, file)) == "shared");
}

TEST_CASE("decryption errors say what went wrong") {
  X25519Identity owner = X25519Identity::generate();
  X25519Identity stranger = X25519Identity::generate();
  X25519Recipient recipient = owner.recipient();
  std::string file = encrypt_to({&recipient}, "secret value", false);

  auto no_match = decrypt_with({&stranger}, file);
  REQUIRE_FALSE(no_match.has_value());
  CHECK(no_match.error().code() == ErrorCode::kUnauthenticated);
  CHECK(no_match.error().message() == "no identity matched any of the file's recipients");

  // A changed stanza body still unwraps nothing; a changed MAC is caught.
  std::string bad_mac = file;
  size_t mac_at = bad_mac.find("--- ") + 4;
  bad_mac[mac_at] = bad_mac[mac_at] == 'A' ? 'B' : 'A';
  auto mac = decrypt_with({&owner}, bad_mac);
  REQUIRE_FALSE(mac.has_value());
  CHECK(mac.error().message() == "header MAC mismatch");

  for (const std::string& junk :
       std::vector<std::string>{"hello\n", "hello", std::string(40000, 'x')}) {
    auto not_age = decrypt_with({&owner}, junk);
    REQUIRE_FALSE(not_age.has_value());
    CHECK(not_age.error().message() ==
          "header line 1: not an age file (no age-encryption.org/v1 line)");
  }
  auto empty = decrypt_with({&owner}, "");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message() == "header line 1: empty file");

  std::string truncated = file.substr(0, file.size() - 1);
  auto payload = decrypt_with({&owner}, truncated);
  REQUIRE_FALSE(payload.has_value());
  CHECK(payload.error().code() == ErrorCode::kDataLoss);

  auto none = decrypt_with({}, file);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code() == ErrorCode::kUnauthenticated);
}

TEST_CASE("a passphrase file tells a key holder why no key matched") {
  ScryptRecipient recipient(secure("pw"), 10);
  X25519Identity identity = X25519Identity::generate();
  std::string file = encrypt_to({&recipient}, "x", false);
  auto result = decrypt_with({&identity}, file);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message().find("encrypted with a passphrase") != std::string::npos);
}

TEST_CASE("encryption refuses no recipients and a passphrase among other recipients") {
  ScryptRecipient scrypt(secure("pw"), 10);
  X25519Identity identity = X25519Identity::generate();
  X25519Recipient x25519 = identity.recipient();
  MemoryReader in(std::string_view("data"));
  StringWriter out;
  std::vector<const Recipient*> none;
  CHECK_FALSE(encrypt(none, in, out, false).has_value());
  std::vector<const Recipient*> mixed = {&x25519, &scrypt};
  auto status = encrypt(mixed, in, out, false);
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().message() == "a passphrase recipient must be the only recipient");
}

TEST_CASE("scrypt work factors above the limit are refused before any work") {
  ScryptRecipient recipient(secure("pw"), 10);
  std::string file = encrypt_to({&recipient}, "x", false);
  ScryptIdentity strict(secure("pw"), 9);
  auto result = decrypt_with({&strict}, file);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().message() == "scrypt work factor 10 is over the limit of 9");
}

}  // namespace
}  // namespace reconcile::secrets
