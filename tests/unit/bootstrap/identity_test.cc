// The host's age identity from the secrets store, decrypted for host.key.

#include "reconciler/bootstrap/identity.h"

#include <doctest/doctest.h>

#include "desired-state/memory_source.h"
#include "secrets/age.h"
#include "secrets/io.h"
#include "secrets/keys.h"
#include "tests/unit/bootstrap/bootstrap_test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::bootstrap::testing::vps_host;

namespace {

// The host's identity file, encrypted to `controller`.
std::string encrypted_identity(const secrets::X25519Identity& controller,
                               const secrets::SecureBuffer& plaintext) {
  secrets::X25519Recipient recipient = controller.recipient();
  const secrets::Recipient* recipients[] = {&recipient};
  secrets::MemoryReader reader(plaintext.view());
  secrets::StringWriter writer;
  REQUIRE(secrets::encrypt(recipients, reader, writer, false).has_value());
  return writer.data();
}

secrets::IdentityList identities_of(const secrets::X25519Identity& identity) {
  secrets::IdentityList list;
  auto parsed = secrets::X25519Identity::parse(identity.to_secret_string().view());
  REQUIRE(parsed.has_value());
  list.push_back(std::make_unique<secrets::X25519Identity>(std::move(*parsed)));
  return list;
}

}  // namespace

TEST_CASE("the host's age identity is decrypted with the controller's") {
  secrets::X25519Identity controller = secrets::X25519Identity::generate();
  secrets::X25519Identity host_identity = secrets::X25519Identity::generate();
  secrets::SecureBuffer file = secrets::format_identity_file(host_identity);
  state::MemorySource source({{"secrets/hosts/web1.age", encrypted_identity(controller, file)}});
  auto found = find_host_identity(&source, vps_host(), identities_of(controller));
  REQUIRE_MESSAGE(found.has_value(), found.error().message());
  REQUIRE(found->age_identity.has_value());
  CHECK(found->age_identity->equals(file));
  CHECK(found->note.find("decrypted from secrets/hosts/web1.age") != std::string::npos);
}

TEST_CASE("no identity file, no identity to decrypt with, the wrong one, or not an identity") {
  secrets::X25519Identity controller = secrets::X25519Identity::generate();
  state::MemorySource empty;
  auto none = find_host_identity(&empty, vps_host(), {});
  REQUIRE(none.has_value());
  CHECK_FALSE(none->age_identity.has_value());
  CHECK(none->note.find("no secrets/hosts/web1.age") != std::string::npos);
  CHECK(find_host_identity(nullptr, vps_host(), {}).has_value());

  secrets::SecureBuffer file = secrets::format_identity_file(secrets::X25519Identity::generate());
  state::MemorySource source({{"secrets/hosts/web1.age", encrypted_identity(controller, file)}});
  auto missing = find_host_identity(&source, vps_host(), {});
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message().find("--identity") != std::string::npos);

  auto wrong =
      find_host_identity(&source, vps_host(), identities_of(secrets::X25519Identity::generate()));
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code() == ErrorCode::kUnauthenticated);
  CHECK(wrong.error().message().find("secrets/hosts/web1.age") != std::string::npos);

  secrets::SecureBuffer not_identity("hello\n", 6);
  source.set("secrets/hosts/web1.age", encrypted_identity(controller, not_identity));
  auto garbage = find_host_identity(&source, vps_host(), identities_of(controller));
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().message().find("does not decrypt to an age identity") != std::string::npos);
  CHECK(garbage.error().message().find("hello") == std::string::npos);
}
