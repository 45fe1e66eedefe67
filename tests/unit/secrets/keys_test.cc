// Recipient and identity parsing, and the ssh-ed25519 known answer from
// tests/data/age-ssh-ed25519 (made by the reference Go implementation).

#include "secrets/keys.h"

#include <doctest/doctest.h>

#include "secrets/age.h"
#include "secrets/ssh_ed25519.h"
#include "secrets/ssh_key.h"
#include "tests/unit/secrets/vector_file.h"

namespace reconcile::secrets {
namespace {

const std::string kSshDir = RECONCILE_SOURCE_DIR "/tests/data/age-ssh-ed25519";
const char* kIdentity =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
const char* kRecipient = "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef";

SecureBuffer secure(std::string_view text) {
  return SecureBuffer(text.data(), text.size());
}

std::string file(const std::string& name) {
  return testing::read_whole_file(kSshDir + "/" + name);
}

std::string error_of(const auto& result) {
  REQUIRE_FALSE(result.has_value());
  return result.error().message();
}

TEST_CASE("the ssh-ed25519 known answer decrypts to its plaintext") {
  IdentityList identities = MUST(parse_identity_file(secure(file("id_ed25519")), "id_ed25519"));
  REQUIRE(identities.size() == 1);
  const Identity* identity = identities[0].get();
  std::string ciphertext = file("data.age.txt");
  MemoryReader in(ciphertext);
  SecureBuffer plaintext;
  SecureBufferWriter out(plaintext);
  Status status = decrypt(std::span(&identity, 1), in, out);
  std::string message = status ? std::string() : status.error().message();
  INFO(message);
  REQUIRE(status.has_value());
  CHECK(plaintext.view() == file("plaintext"));
}

TEST_CASE("ssh-ed25519 recipients wrap to the tag the key file's identity expects") {
  auto recipient = MUST(parse_recipient(file("id_ed25519.pub")));
  Stanza stanza = MUST(recipient->wrap(secure("YELLOW SUBMARINE")));
  CHECK(stanza.type == "ssh-ed25519");
  REQUIRE(stanza.args.size() == 2);
  CHECK(stanza.args[0] == "2cwDxw");  // from the README's intermediate values
  IdentityList identities = MUST(parse_identity_file(secure(file("id_ed25519")), "id_ed25519"));
  auto key = MUST(identities[0]->unwrap(stanza));
  REQUIRE(key.has_value());
  CHECK(key->view() == "YELLOW SUBMARINE");
}

TEST_CASE("refused SSH keys say why") {
  CHECK(error_of(parse_identity_file(secure(file("id_ed25519_passphrase")), "k"))
            .find("protected by a passphrase") != std::string::npos);
  CHECK(error_of(parse_identity_file(secure(file("id_rsa")), "k")).find("ssh-rsa") !=
        std::string::npos);
  CHECK(error_of(parse_recipient(file("id_rsa.pub"))) ==
        "ssh-rsa keys are not supported (use an ssh-ed25519 key)");
  CHECK(error_of(parse_identity_file(secure("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"), "k"))
            .find("not an OpenSSH private key") != std::string::npos);
}

TEST_CASE("a damaged OpenSSH private key is refused") {
  std::string key = file("id_ed25519");
  // Flip a character in the middle of the base64: a check, the public key or
  // the padding no longer matches, or the base64 is not canonical.
  for (size_t position : {60, 120, 200, 300}) {
    CAPTURE(position);
    std::string damaged = key;
    damaged[position] = damaged[position] == 'A' ? 'B' : 'A';
    CHECK_FALSE(parse_openssh_private_key(damaged).has_value());
  }
  CHECK_FALSE(parse_openssh_private_key(key.substr(0, key.size() / 2)).has_value());
}

TEST_CASE("identity files hold X25519 keys with comments, and errors name the line") {
  std::string text =
      std::string("# created: today\n\n# public key: ") + kRecipient + "\r\n" + kIdentity + "\n";
  IdentityList identities = MUST(parse_identity_file(secure(text), "keys.txt"));
  CHECK(identities.size() == 1);

  std::string bad = text + "AGE-SECRET-KEY-1QQQQ\n";
  std::string message = error_of(parse_identity_file(secure(bad), "keys.txt"));
  CHECK(message.starts_with("keys.txt:5: invalid age identity"));
  CHECK(message.find("QQQQ") == std::string::npos);
  CHECK(error_of(parse_identity_file(secure("# nothing\n"), "keys.txt")) ==
        "keys.txt: no identities");
  CHECK(error_of(parse_identity_file(secure(std::string(kRecipient) + "\n"), "keys.txt"))
            .find("recipient (public key), not an identity") != std::string::npos);
}

TEST_CASE("recipients files mix key types, and errors name the line") {
  std::string text = std::string("# team\n") + kRecipient + "\n" + file("id_ed25519.pub");
  CHECK(MUST(parse_recipients_file(text, "r.txt")).size() == 2);
  CHECK(error_of(parse_recipients_file(text + "age1bogus\n", "r.txt")).starts_with("r.txt:4: "));
  CHECK(error_of(parse_recipient(kIdentity)) ==
        "this is an identity (secret key), not a recipient");
  CHECK(error_of(parse_recipient("ssh-ed25519 AAAA!!")).find("base64") != std::string::npos);
}

TEST_CASE("a generated identity file is readable and names its public key") {
  X25519Identity identity = X25519Identity::generate();
  SecureBuffer text = format_identity_file(identity);
  std::string recipient = identity.recipient().to_string();
  CHECK(text.view().starts_with("# created: "));
  CHECK(text.view().find("# public key: " + recipient + "\n") != std::string::npos);
  IdentityList identities = MUST(parse_identity_file(text, "new.txt"));
  auto parsed_recipient = MUST(parse_recipient(recipient));
  Stanza stanza = MUST(parsed_recipient->wrap(secure("0123456789abcdef")));
  CHECK(MUST(identities[0]->unwrap(stanza)).has_value());
}

}  // namespace
}  // namespace reconcile::secrets
