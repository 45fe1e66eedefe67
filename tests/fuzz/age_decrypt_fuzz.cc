// libFuzzer target for the age decryptor: armor detection and decoding,
// the header and stanza grammar, every stanza type we implement, the MAC
// and the STREAM payload. The identities are the fixed keys of the
// conformance vectors, so that seeds taken from the vectors reach the
// payload. scrypt is capped at work factor 4 so that each run stays fast:
// the vectors' scrypt stanzas (factor 10) then fail the limit check, and
// the fuzzer reaches the rest of the scrypt code by lowering the factor.

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "secrets/age.h"
#include "secrets/scrypt.h"
#include "secrets/ssh_ed25519.h"
#include "secrets/x25519.h"

namespace {

using namespace reconcile::secrets;

// The vectors' identities, and the sops ssh-ed25519 test key
// (tests/data/age-ssh-ed25519/id_ed25519, a public test key).
constexpr const char* kX25519 =
    "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
constexpr const char* kOtherX25519 =
    "AGE-SECRET-KEY-143WN7DCXU4G8R5AXQSSYD9AEPYDNT3HXSLWSPK36CDU6E8M59SSSAGZ3KG";
constexpr const char* kSshKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACA/lovFmcNm13waXLP1hArbQsz9/TpHp0uqR1h1hhSbzQAAAIgCXDMIAlwz
CAAAAAtzc2gtZWQyNTUxOQAAACA/lovFmcNm13waXLP1hArbQsz9/TpHp0uqR1h1hhSbzQ
AAAEBJdWTJ8dC0OnMcwy4gQ96sp6KG8GE9EiyhFGhKldKiST+Wi8WZw2bXfBpcs/WECttC
zP39OkenS6pHWHWGFJvNAAAABFRlc3QB
-----END OPENSSH PRIVATE KEY-----
)";

class DiscardWriter : public Writer {
 public:
  using Writer::write;
  reconcile::Status write(const uint8_t*, size_t) override { return reconcile::ok(); }
};

struct Identities {
  std::vector<std::unique_ptr<Identity>> owned;
  std::vector<const Identity*> pointers;

  Identities() {
    owned.push_back(std::make_unique<X25519Identity>(MUST(X25519Identity::parse(kOtherX25519))));
    owned.push_back(std::make_unique<X25519Identity>(MUST(X25519Identity::parse(kX25519))));
    owned.push_back(std::make_unique<SshEd25519Identity>(MUST(SshEd25519Identity::parse(kSshKey))));
    owned.push_back(std::make_unique<ScryptIdentity>(SecureBuffer("password", 8), 4));
    for (const auto& identity : owned)
      pointers.push_back(identity.get());
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Identities identities;
  MemoryReader in(std::span<const uint8_t>(data, size));
  DiscardWriter out;
  (void)decrypt(identities.pointers, in, out);
  return 0;
}
