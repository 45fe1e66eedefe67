// Webhook signatures (GitHub's X-Hub-Signature-256) and bearer tokens:
// correct values pass, everything else fails, and nothing passes without a
// configured secret.

#include "reconciler/daemon/auth.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;

namespace {

secrets::SecureBuffer buffer(const std::string& text) {
  return secrets::SecureBuffer(text.data(), text.size());
}

}  // namespace

TEST_CASE("HMAC-SHA256 matches GitHub's documented example") {
  // docs.github.com, "Validating webhook deliveries": secret "It's a Secret
  // to Everybody", payload "Hello, World!".
  std::string expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  CHECK(hmac_sha256_hex("It's a Secret to Everybody", "Hello, World!") == expected);
  auto secret = buffer("It's a Secret to Everybody");
  CHECK(webhook_signature_valid(secret, "Hello, World!", "sha256=" + expected));
}

TEST_CASE("webhook signatures: anything but the right HMAC is refused") {
  auto secret = buffer("s3cret");
  std::string body = R"({"ref":"refs/heads/main"})";
  std::string good = "sha256=" + hmac_sha256_hex("s3cret", body);
  CHECK(webhook_signature_valid(secret, body, good));
  CHECK_FALSE(webhook_signature_valid(secret, body + " ", good));      // body changed
  CHECK_FALSE(webhook_signature_valid(buffer("other"), body, good));   // other secret
  CHECK_FALSE(webhook_signature_valid(secret, body, ""));              // missing
  CHECK_FALSE(webhook_signature_valid(secret, body, good.substr(7)));  // no prefix
  CHECK_FALSE(webhook_signature_valid(secret, body, "sha1=" + good.substr(7)));
  CHECK_FALSE(webhook_signature_valid(secret, body, good.substr(0, 70)));  // truncated
  CHECK_FALSE(webhook_signature_valid(secret, body, good + "00"));         // too long
  std::string upper = good;
  upper[10] = upper[10] == '0' ? '1' : '0';
  CHECK_FALSE(webhook_signature_valid(secret, body, upper));  // one nibble off
  CHECK_FALSE(webhook_signature_valid(secret, body, "sha256=" + std::string(64, 'z')));
  CHECK_FALSE(webhook_signature_valid(secrets::SecureBuffer(), body,
                                      "sha256=" + hmac_sha256_hex("", body)));  // no secret
}

TEST_CASE("bearer tokens compare whole, and fail closed without a token") {
  auto token = buffer("t0ken-value");
  CHECK(bearer_token_valid(token, "Bearer t0ken-value"));
  CHECK_FALSE(bearer_token_valid(token, "Bearer t0ken-valu"));
  CHECK_FALSE(bearer_token_valid(token, "Bearer t0ken-value2"));
  CHECK_FALSE(bearer_token_valid(token, "bearer t0ken-value"));
  CHECK_FALSE(bearer_token_valid(token, "t0ken-value"));
  CHECK_FALSE(bearer_token_valid(token, ""));
  CHECK_FALSE(bearer_token_valid(secrets::SecureBuffer(), "Bearer "));
  CHECK_FALSE(bearer_token_valid(secrets::SecureBuffer(), "Bearer anything"));
}

TEST_CASE("secret files: newline stripped; empty or world-readable files refused") {
  TempDir dir;
  dir.write("secret", "abc\n");
  ::chmod((dir / "secret").c_str(), 0600);
  auto secret = read_secret_file(dir / "secret");
  REQUIRE(secret.has_value());
  CHECK(secret->view() == "abc");
  dir.write("empty", "\n");
  ::chmod((dir / "empty").c_str(), 0600);
  CHECK_FALSE(read_secret_file(dir / "empty").has_value());
  dir.write("open", "abc");
  ::chmod((dir / "open").c_str(), 0644);
  auto open = read_secret_file(dir / "open");
  REQUIRE_FALSE(open.has_value());
  CHECK(open.error().message().find("readable by every user") != std::string::npos);
  CHECK_FALSE(read_secret_file(dir / "missing").has_value());
}
