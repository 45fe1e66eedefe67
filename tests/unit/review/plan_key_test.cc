// The plan key file: created 0600 in a 0700 state directory on first use,
// the same key afterwards, refused when others can read it or it is not a
// key; MACs verify only the exact message.

#include "reconciler/plan_key.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("plan key: created on first use, 0600 in a 0700 directory, stable after") {
  TempDir dir;
  std::filesystem::path state = dir.path / "var/lib/reconcile";
  auto first = PlanKey::load_or_create(state.string());
  REQUIRE_MESSAGE(first.has_value(), first.error().message());
  CHECK(mode_of(state) == 0700);
  CHECK(mode_of(state / "plan.key") == 0600);
  CHECK(std::filesystem::file_size(state / "plan.key") == 65);  // 64 hex + newline
  auto second = PlanKey::load_or_create(state.string());
  REQUIRE(second.has_value());
  CHECK(first->id() == second->id());
  CHECK(first->mac("plan") == second->mac("plan"));
  // No temporary file is left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
  // Another state directory gets another key.
  auto other = PlanKey::load_or_create((dir.path / "other").string());
  REQUIRE(other.has_value());
  CHECK(other->id() != first->id());
}

TEST_CASE("plan key: refused when readable by others or not a key") {
  TempDir dir;
  REQUIRE(PlanKey::load_or_create(dir.str()).has_value());
  std::filesystem::path key = dir.path / "plan.key";
  chmod(key.c_str(), 0644);
  auto readable = PlanKey::load_or_create(dir.str());
  REQUIRE_FALSE(readable.has_value());
  CHECK(readable.error().message().find("readable by group or others (mode 0644)") !=
        std::string::npos);
  chmod(key.c_str(), 0600);
  for (const char* bad :
       {"", "abc\n", "zz00000000000000000000000000000000000000000000000000000000000000\n",
        "00000000000000000000000000000000000000000000000000000000000000000000\n"}) {
    CAPTURE(std::string(bad));
    dir.write("plan.key", bad);
    chmod(key.c_str(), 0600);
    auto loaded = PlanKey::load_or_create(dir.str());
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().code() == ErrorCode::kDataLoss);
  }
  std::filesystem::remove(key);
  std::filesystem::create_directory(key);
  CHECK_FALSE(PlanKey::load_or_create(dir.str()).has_value());
}

TEST_CASE("plan key: load never creates a key") {
  TempDir dir;
  auto missing = PlanKey::load(dir.str());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
  CHECK(missing.error().message().find("install the plan.key") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path / "plan.key"));
  auto created = PlanKey::load_or_create(dir.str());
  REQUIRE(created.has_value());
  CHECK(MUST(PlanKey::load(dir.str())).id() == created->id());
}

TEST_CASE("plan key: a key written by hand in hex is accepted") {
  TempDir dir;
  dir.write("plan.key", std::string(64, 'a') + "\n");
  chmod((dir.path / "plan.key").c_str(), 0600);
  auto key = PlanKey::load_or_create(dir.str());
  REQUIRE(key.has_value());
  CHECK(key->id() == PlanKey::from_bytes(std::string(32, '\xaa')).id());
}

TEST_CASE("plan key: MACs verify exactly the signed message") {
  PlanKey key = test_key();
  std::string mac = key.mac("the plan");
  CHECK(mac.size() == 64);
  CHECK(key.verify("the plan", mac));
  CHECK_FALSE(key.verify("the plan ", mac));
  CHECK_FALSE(key.verify("the plaN", mac));
  CHECK_FALSE(test_key('x').verify("the plan", mac));
  std::string flipped = mac;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  CHECK_FALSE(key.verify("the plan", flipped));
  CHECK_FALSE(key.verify("the plan", mac.substr(0, 62)));
  CHECK_FALSE(key.verify("the plan", ""));
  CHECK_FALSE(key.verify("the plan", mac + "00"));
  // Secret digests are separated from MACs of the same bytes.
  CHECK(key.secret_digest("the plan") != "hmac-sha256:" + mac);
  CHECK(key.id().size() == 16);
  CHECK(key.id() != test_key('x').id());
}

TEST_CASE("equal_digests") {
  CHECK(equal_digests("abc", "abc"));
  CHECK_FALSE(equal_digests("abc", "abd"));
  CHECK_FALSE(equal_digests("abc", "abcd"));
  CHECK(equal_digests("", ""));
}
