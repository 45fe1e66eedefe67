// The `os:` host key that bootstrap reads: values, defaults and errors with
// file:line:col.

#include <doctest/doctest.h>

#include "desired-state/loader.h"

using namespace reconcile;

namespace {

std::string errors_of(const state::LoadResult& result) {
  std::string out;
  for (const auto& item : result.diagnostics.items())
    out += item.to_string() + "\n";
  return out;
}

}  // namespace

TEST_CASE("os: family and release") {
  auto loaded = state::load_single_host("os: { family: debian, release: trixie }\n", "web1");
  REQUIRE_MESSAGE(loaded.ok(), errors_of(loaded));
  REQUIRE(loaded.repo.hosts.size() == 1);
  REQUIRE(loaded.repo.hosts[0].os.has_value());
  CHECK(loaded.repo.hosts[0].os->family == "debian");
  CHECK(loaded.repo.hosts[0].os->release == "trixie");

  auto defaults = state::load_single_host("os: {}\n", "web1");
  REQUIRE(defaults.ok());
  CHECK(defaults.repo.hosts[0].os->release == "bookworm");
  auto absent = state::load_single_host("address: 192.0.2.1\n", "web1");
  REQUIRE(absent.ok());
  CHECK_FALSE(absent.repo.hosts[0].os.has_value());
}

TEST_CASE("os: errors point at the value") {
  auto family = state::load_single_host("os:\n  family: nixos\n", "web1");
  CHECK(errors_of(family).find("hosts/web1.yaml:2:11: ") != std::string::npos);
  CHECK(errors_of(family).find("debian") != std::string::npos);
  auto release = state::load_single_host("os: { release: \"Bookworm; rm -rf /\" }\n", "web1");
  CHECK(errors_of(release).find("release code name") != std::string::npos);
  auto typo = state::load_single_host("os: { relase: bookworm }\n", "web1");
  CHECK(errors_of(typo).find("did you mean 'release'") != std::string::npos);
  auto list = state::load_single_host("os: [debian]\n", "web1");
  CHECK_FALSE(list.ok());
}
