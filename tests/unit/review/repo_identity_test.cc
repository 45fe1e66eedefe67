// Repository identity and the checks `reconcile apply PLAN.json` makes
// before contacting any host: same repository (any clone), commit present,
// not a shallow clone, signature, age.

#include "reconciler/repo_identity.h"

#include <doctest/doctest.h>

#include "reconciler/plan_file.h"
#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;

namespace {

// A repository with two commits on main.
struct Repository {
  TempDir dir;
  std::string first;
  std::string second;

  explicit Repository(const std::string& seed = "a") {
    REQUIRE(git(dir.path, "init -q -b main") == 0);
    dir.write("reconcile.yaml", "");
    dir.write("hosts/web1.yaml", "address: 10.0.0.1\n# " + seed + "\n");
    REQUIRE(git(dir.path, "add -A") == 0);
    REQUIRE(git(dir.path, "commit -q -m first") == 0);
    first = rev_parse(dir.path, "HEAD");
    dir.write("hosts/web1.yaml", "address: 10.0.0.2\n");
    REQUIRE(git(dir.path, "commit -q -am second") == 0);
    second = rev_parse(dir.path, "HEAD");
  }
};

std::string saved_plan_file(const TempDir& where, const PlanKey& key, const std::string& commit,
                            const std::string& identity, int64_t made_at) {
  SavedPlan plan;
  plan.created_at = format_utc(made_at);
  plan.repo_identity = identity;
  plan.commit = commit;
  plan.origin = "commit " + commit.substr(0, 12);
  plan.key_id = key.id();
  where.write("plan.json", write_saved_plan(plan, key));
  return (where.path / "plan.json").string();
}

}  // namespace

TEST_CASE("repo identity: the first commit, the same in every clone") {
  Repository repo;
  auto identity = repo_identity(repo.dir.str(), repo.second);
  REQUIRE_MESSAGE(identity.has_value(), identity.error().message());
  CHECK(*identity == repo.first);
  CHECK(MUST(repo_identity(repo.dir.str(), "HEAD")) == repo.first);
  CHECK(MUST(head_identity(repo.dir.str())) == repo.first);
  TempDir clone;
  REQUIRE(git(clone.path, "clone -q '" + repo.dir.str() + "' copy") == 0);
  CHECK(MUST(head_identity((clone.path / "copy").string())) == repo.first);
  Repository other("b");
  CHECK(MUST(head_identity(other.dir.str())) != repo.first);
}

TEST_CASE("repo identity: errors") {
  Repository repo;
  TempDir empty;
  auto not_git = repo_identity(empty.str(), "HEAD");
  REQUIRE_FALSE(not_git.has_value());
  CHECK(not_git.error().code() == ErrorCode::kNotFound);
  auto no_commit = repo_identity(repo.dir.str(), std::string(40, 'e'));
  REQUIRE_FALSE(no_commit.has_value());
  CHECK(no_commit.error().code() == ErrorCode::kNotFound);
  TempDir shallow;
  REQUIRE(git(shallow.path, "clone -q --depth 1 'file://" + repo.dir.str() + "' copy") == 0);
  auto refused = head_identity((shallow.path / "copy").string());
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code() == ErrorCode::kFailedPrecondition);
  CHECK(refused.error().message().find("shallow clone") != std::string::npos);
}

TEST_CASE("plan file: accepted from its repository and any clone of it") {
  Repository repo;
  PlanKey key = test_key();
  TempDir out;
  int64_t now = unix_now();
  std::string path = saved_plan_file(out, key, repo.second, repo.first, now - 60);
  auto plan = load_plan_file(path, key, repo.dir.str(), now, 86400);
  REQUIRE_MESSAGE(plan.has_value(), plan.error().message());
  CHECK(plan->commit == repo.second);
  TempDir clone;
  REQUIRE(git(clone.path, "clone -q '" + repo.dir.str() + "' copy") == 0);
  CHECK(load_plan_file(path, key, (clone.path / "copy").string(), now, 86400).has_value());
}

TEST_CASE("plan file: refused from another repository, without its commit, too old") {
  Repository repo;
  Repository other("b");
  PlanKey key = test_key();
  TempDir out;
  int64_t now = unix_now();
  SUBCASE("another repository does not have the commit") {
    std::string path = saved_plan_file(out, key, repo.second, repo.first, now);
    auto plan = load_plan_file(path, key, other.dir.str(), now, 86400);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().message().find("which is not in " + other.dir.str()) != std::string::npos);
  }
  SUBCASE("a commit fetched into another repository is still another repository") {
    REQUIRE(git(other.dir.path, "fetch -q '" + repo.dir.str() + "' main") == 0);
    std::string path = saved_plan_file(out, key, repo.second, repo.first, now);
    auto plan = load_plan_file(path, key, other.dir.str(), now, 86400);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().message().find("was made from another repository") != std::string::npos);
  }
  SUBCASE("an identity that does not match") {
    std::string path = saved_plan_file(out, key, repo.second, std::string(40, 'f'), now);
    auto plan = load_plan_file(path, key, repo.dir.str(), now, 86400);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().message().find("was made from another repository") != std::string::npos);
  }
  SUBCASE("too old") {
    std::string path = saved_plan_file(out, key, repo.second, repo.first, now - 90000);
    auto plan = load_plan_file(path, key, repo.dir.str(), now, 86400);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().message().find("older than --max-age 24h 0m") != std::string::npos);
  }
  SUBCASE("signed with another key") {
    std::string path = saved_plan_file(out, test_key('z'), repo.second, repo.first, now);
    auto plan = load_plan_file(path, key, repo.dir.str(), now, 86400);
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().message().find("another plan key") != std::string::npos);
  }
  SUBCASE("no such file") {
    CHECK_FALSE(load_plan_file((out.path / "nope.json").string(), key, repo.dir.str(), now, 86400)
                    .has_value());
  }
}
