// Reading from git: the loader sees the commit, never the working tree.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "desired-state/loader.h"
#include "desired-state/source.h"

using namespace reconcile;
using namespace reconcile::state;
namespace fs = std::filesystem;

namespace {

struct TempRepo {
  fs::path dir;
  TempRepo() {
    char pattern[] = "/tmp/reconcile-git-test-XXXXXX";
    dir = mkdtemp(pattern);
  }
  ~TempRepo() { fs::remove_all(dir); }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories((dir / path).parent_path());
    std::ofstream(dir / path) << text;
  }
  int git(const std::string& args) {
    std::string command =
        "git -C " + dir.string() +
        " -c user.name=test -c user.email=test@example.org -c commit.gpgsign=false " + args +
        " >/dev/null 2>&1";
    return std::system(command.c_str());
  }
};

}  // namespace

TEST_CASE("the git source reads the commit, not the dirty working tree") {
  TempRepo repo;
  REQUIRE(repo.git("init -q -b main") == 0);
  repo.write("reconcile.yaml", "");
  repo.write("hosts/web1.yaml", "address: 10.0.0.1\n");
  REQUIRE(repo.git("add -A") == 0);
  REQUIRE(repo.git("commit -q -m first") == 0);
  repo.write("hosts/web1.yaml", "address: 10.0.0.2\n");  // uncommitted edit
  repo.write("hosts/web2.yaml", "address: 10.0.0.3\n");  // untracked file
  repo.write("hosts/broken.yaml", "a: [\n");             // untracked garbage

  auto source = open_source(repo.dir.string(), "HEAD", false);
  REQUIRE(source.has_value());
  CHECK((*source)->commit().size() == 40);
  LoadResult result = load_repo(**source);
  REQUIRE(result.ok());
  REQUIRE(result.repo.hosts.size() == 1);
  CHECK(result.repo.hosts[0].address == "10.0.0.1");
  CHECK(result.repo.origin.find("commit ") == 0);

  // A second commit, then reading the first by revision.
  REQUIRE(repo.git("add -A") == 0);
  REQUIRE(repo.git("rm -q --cached hosts/broken.yaml") == 0);
  REQUIRE(repo.git("commit -q -m second") == 0);
  auto head = open_source(repo.dir.string(), "main", true);
  REQUIRE(head.has_value());
  CHECK(load_repo(**head).repo.hosts.size() == 2);
  auto first = open_source(repo.dir.string(), "HEAD~1", true);
  REQUIRE(first.has_value());
  CHECK(load_repo(**first).repo.hosts.size() == 1);
}

TEST_CASE("an unknown revision is a clear error") {
  TempRepo repo;
  REQUIRE(repo.git("init -q -b main") == 0);
  repo.write("reconcile.yaml", "");
  REQUIRE(repo.git("add -A") == 0);
  REQUIRE(repo.git("commit -q -m first") == 0);
  auto source = open_source(repo.dir.string(), "no-such-branch", true);
  REQUIRE_FALSE(source.has_value());
  CHECK(source.error().code() == ErrorCode::kNotFound);
  CHECK(source.error().message().find("unknown revision 'no-such-branch'") != std::string::npos);
}

TEST_CASE("--rev on a plain directory is refused") {
  TempRepo repo;
  repo.write("reconcile.yaml", "");
  auto source = open_source(repo.dir.string(), "HEAD", true);
  REQUIRE_FALSE(source.has_value());
  CHECK(source.error().message().find("not a git repository") != std::string::npos);
  auto plain = open_source(repo.dir.string(), "HEAD", false);
  REQUIRE(plain.has_value());
  CHECK((*plain)->commit().empty());
}

TEST_CASE("a bare repository is read too") {
  TempRepo repo;
  REQUIRE(repo.git("init -q -b main work") == 0);
  repo.write("work/reconcile.yaml", "");
  repo.write("work/hosts/a.yaml", "");
  REQUIRE(std::system(("git -C " + (repo.dir / "work").string() +
                       " -c user.name=t -c user.email=t@e add -A && git -C " +
                       (repo.dir / "work").string() +
                       " -c user.name=t -c user.email=t@e commit -q -m x && git clone -q --bare " +
                       (repo.dir / "work").string() + " " + (repo.dir / "bare.git").string())
                          .c_str()) == 0);
  auto source = open_source((repo.dir / "bare.git").string(), "HEAD", false);
  REQUIRE(source.has_value());
  CHECK(load_repo(**source).repo.hosts.size() == 1);
}
