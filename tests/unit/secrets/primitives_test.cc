// Known-answer and strictness tests for the building blocks of age:
// base64 in its two strict forms, HKDF-SHA256 and Bech32.

#include <doctest/doctest.h>

#include "reconciler/base/strings.h"
#include "secrets/base64.h"
#include "secrets/bech32.h"
#include "secrets/hkdf.h"
#include "secrets/x25519.h"

namespace reconcile::secrets {
namespace {

std::string decode(std::string_view text, Base64Padding padding) {
  SecureBuffer out;
  if (!base64_decode(text, padding, out)) return "<invalid>";
  return std::string(out.view());
}

std::vector<uint8_t> bytes(std::string_view text) {
  return {text.begin(), text.end()};
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

TEST_CASE("unpadded base64 is canonical and strict") {
  CHECK(base64_encode(bytes("age"), Base64Padding::kNone) == "YWdl");
  CHECK(base64_encode(bytes("ag"), Base64Padding::kNone) == "YWc");
  CHECK(decode("YWc", Base64Padding::kNone) == "ag");
  CHECK(decode("", Base64Padding::kNone) == "");
  CHECK(decode("YWc=", Base64Padding::kNone) == "<invalid>");  // padding
  CHECK(decode("YWd", Base64Padding::kNone) == "<invalid>");   // non-zero unused bits
  CHECK(decode("Y", Base64Padding::kNone) == "<invalid>");     // impossible length
  CHECK(decode("YW c", Base64Padding::kNone) == "<invalid>");  // whitespace
  CHECK(decode("YWc\n", Base64Padding::kNone) == "<invalid>");
  CHECK(decode("YW-_", Base64Padding::kNone) == "<invalid>");  // URL alphabet
}

TEST_CASE("padded base64 requires exact padding") {
  CHECK(base64_encode(bytes("ag"), Base64Padding::kRequired) == "YWc=");
  CHECK(decode("YWc=", Base64Padding::kRequired) == "ag");
  CHECK(decode("YWc", Base64Padding::kRequired) == "<invalid>");
  CHECK(decode("YQ==", Base64Padding::kRequired) == "a");
  CHECK(decode("YQ=", Base64Padding::kRequired) == "<invalid>");
  CHECK(decode("YR==", Base64Padding::kRequired) == "<invalid>");  // not canonical
  CHECK(decode("YWc=YWc=", Base64Padding::kRequired) == "<invalid>");
}

TEST_CASE("HKDF-SHA256 matches RFC 5869") {
  SUBCASE("test case 1") {
    std::string ikm(22, '\x0b');
    std::string salt = from_hex("000102030405060708090a0b0c");
    std::string info = from_hex("f0f1f2f3f4f5f6f7f8f9");
    SecureBuffer okm = hkdf_sha256(bytes(ikm), bytes(salt), info, 42);
    CHECK(to_hex(okm.view()) ==
          "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }
  SUBCASE("test case 3: empty salt and info") {
    std::string ikm(22, '\x0b');
    SecureBuffer okm = hkdf_sha256(bytes(ikm), {}, "", 42);
    CHECK(to_hex(okm.view()) ==
          "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  }
}

TEST_CASE("Bech32 accepts the BIP 173 valid strings and rejects the invalid ones") {
  for (const char* valid : {"A12UEL5L", "a12uel5l",
                            "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcluded"
                            "charactersbio1tt5tgs",
                            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"}) {
    CAPTURE(valid);
    CHECK(bech32_decode(valid).has_value());
  }
  for (const char* invalid : {"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8",
                              "10a06t8", "1qzzfhee", "A12UEL5l", "a12uel5m"}) {
    CAPTURE(invalid);
    CHECK_FALSE(bech32_decode(invalid).has_value());
  }
}

TEST_CASE("Bech32 round-trips and keeps the case it was asked for") {
  std::vector<uint8_t> data = {0, 1, 2, 250, 255, 17};
  SecureBuffer lower = bech32_encode("age", data, false);
  Bech32Data decoded = MUST(bech32_decode(lower.view()));
  CHECK(decoded.hrp == "age");
  CHECK(std::vector<uint8_t>(decoded.data.data(), decoded.data.data() + decoded.data.size()) ==
        data);
  SecureBuffer upper = bech32_encode("AGE-SECRET-KEY-", data, true);
  CHECK(upper.view().starts_with("AGE-SECRET-KEY-1"));
  CHECK(MUST(bech32_decode(upper.view())).hrp == "AGE-SECRET-KEY-");
}

TEST_CASE("the vectors' identity gives the vectors' recipient") {
  const char* secret = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
  X25519Identity identity = MUST(X25519Identity::parse(secret));
  CHECK(identity.recipient().to_string() ==
        "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef");
  CHECK(identity.to_secret_string().view() == secret);
}

TEST_CASE("key strings are refused in the wrong case, with a bad checksum, or of the wrong kind") {
  const std::string secret =
      "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
  std::string lower;
  for (char c : secret)
    lower += static_cast<char>(std::tolower(c));
  CHECK_FALSE(X25519Identity::parse(lower).has_value());
  std::string damaged = secret;
  damaged[20] = damaged[20] == 'Q' ? 'P' : 'Q';
  auto bad = X25519Identity::parse(damaged);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message().find("checksum") != std::string::npos);
  // The message never repeats the secret.
  CHECK(bad.error().message().find(damaged.substr(16)) == std::string::npos);
  CHECK_FALSE(
      X25519Identity::parse("age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef")
          .has_value());
  CHECK_FALSE(
      X25519Recipient::parse("AGE1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4Q47RYEF")
          .has_value());
  CHECK_FALSE(X25519Recipient::parse(secret).has_value());
}

}  // namespace
}  // namespace reconcile::secrets
