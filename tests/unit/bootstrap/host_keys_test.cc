// Host keys made on the controller must be keys OpenSSH accepts as its own:
// checked with this project's key file parser and with ssh-keygen itself.

#include "reconciler/bootstrap/host_keys.h"

#include <doctest/doctest.h>

#include "reconciler/base/strings.h"
#include "reconciler/transport/host_key.h"
#include "reconciler/transport/ssh_key_file.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::transport::testing::make_key;
using reconcile::transport::testing::must_shell;
using reconcile::transport::testing::read_file;
using reconcile::transport::testing::shell;
using reconcile::transport::testing::TempDir;
using reconcile::transport::testing::write_file;

TEST_CASE("a generated host key is an OpenSSH ed25519 key file and its public line") {
  auto pair = generate_host_key("root@web1");
  REQUIRE(pair.has_value());
  CHECK(pair->public_line.rfind("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", 0) == 0);
  CHECK(pair->public_line.substr(pair->public_line.size() - 10) == " root@web1");
  std::string text(pair->private_key.view());
  CHECK(text.rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0) == 0);
  CHECK(text.find("-----END OPENSSH PRIVATE KEY-----\n") != std::string::npos);

  auto parsed = transport::parse_key_file(pair->private_key.view(), "generated");
  REQUIRE(parsed.has_value());
  CHECK_FALSE(parsed->encrypted);
  CHECK(transport::format_public_key(parsed->public_key) == pin_of(pair->public_line));

  // ssh-keygen derives the same public key from the private file.
  TempDir dir;
  write_file(dir.file("key"), text);
  must_shell("chmod 600 " + dir.file("key"));
  std::string derived = must_shell("ssh-keygen -y -f " + dir.file("key"));
  CHECK(pin_of(std::string(trim(derived))) == pin_of(pair->public_line));

  auto other = generate_host_key("");
  REQUIRE(other.has_value());
  CHECK(other->public_line != pair->public_line);
  CHECK(pin_of(other->public_line) == other->public_line);
}

TEST_CASE("a comment with a newline is refused") {
  auto pair = generate_host_key("a\nb");
  REQUIRE_FALSE(pair.has_value());
  CHECK(pair.error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("an existing host key file is read, and other keys are refused with the reason") {
  TempDir dir;
  make_key(dir.file("ed"), "ed25519");
  auto loaded = load_host_key(dir.file("ed"));
  REQUIRE(loaded.has_value());
  CHECK(pin_of(loaded->public_line) == pin_of(read_file(dir.file("ed.pub"))));
  CHECK(std::string(loaded->private_key.view()) == read_file(dir.file("ed")));

  make_key(dir.file("ec"), "ecdsa");
  auto ecdsa = load_host_key(dir.file("ec"));
  REQUIRE_FALSE(ecdsa.has_value());
  CHECK(ecdsa.error().message().find("ed25519 host keys only") != std::string::npos);

  make_key(dir.file("locked"), "ed25519", "secret");
  auto locked = load_host_key(dir.file("locked"));
  REQUIRE_FALSE(locked.has_value());
  CHECK(locked.error().message().find("encrypted") != std::string::npos);

  write_file(dir.file("junk"), "not a key\n");
  CHECK_FALSE(load_host_key(dir.file("junk")).has_value());
  auto missing = load_host_key(dir.file("nope"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}
