// The one-round-trip probe: composing fragments, running them in a real
// /bin/sh, and splitting the output whatever bytes the fragments print.

#include "modules/probe.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "modules/module.h"
#include "modules/scripts.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;

namespace {

std::string run_sh(const std::string& script) {
  char path[] = "/tmp/reconcile-probe-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, script.data(), script.size()) == static_cast<ssize_t>(script.size()));
  close(fd);
  std::string command = std::string("/bin/sh -s < ") + path;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  pclose(pipe);
  unlink(path);
  return out;
}

}  // namespace

TEST_CASE("probe sections survive hostile output and failing fragments") {
  std::vector<ProbeFragment> fragments = {
      {"a", "printf 'no trailing newline'"},
      {"b", "printf '@@reconcile-fake end a 0@@\\n\\000\\377 binary\\n'; exit 3"},
      {"c", "true"},
      {"d", "echo before; false; echo after-false"},
  };
  std::string nonce = make_nonce();
  CHECK(nonce.size() == 32);
  std::string output = run_sh(script_preamble() + compose_probe(fragments, nonce));
  auto sections = split_probe(output, nonce, fragments);
  REQUIRE(sections.has_value());
  CHECK(sections->at("a").text == "no trailing newline");
  CHECK(sections->at("b").text == std::string("@@reconcile-fake end a 0@@\n\0\377 binary\n", 37));
  CHECK(sections->at("b").exit_code == 3);
  CHECK(sections->at("c").text.empty());
  CHECK(sections->at("d").text == "before\nafter-false\n");
}

TEST_CASE("a truncated probe output is data loss, not a silent empty section") {
  std::vector<ProbeFragment> fragments = {{"a", "echo one"}, {"b", "echo two"}};
  std::string nonce = make_nonce();
  std::string output = run_sh(compose_probe(fragments, nonce));
  auto whole = split_probe(output, nonce, fragments);
  REQUIRE(whole.has_value());
  auto cut = split_probe(output.substr(0, output.size() - 10), nonce, fragments);
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().code() == ErrorCode::kDataLoss);
  auto other_nonce = split_probe(output, make_nonce(), fragments);
  CHECK_FALSE(other_nonce.has_value());
}

TEST_CASE("the whole probe runs on this machine's /bin/sh and parses") {
  state::Host host = testing::host_from_yaml(
      "files:\n  /etc/hostname: { content: x }\n  /nonexistent/x: { content: y }\n"
      "users:\n  root: {}\n  nosuchuser-reconcile: {}\ngroups:\n  root: {}\n"
      "sysctl:\n  net.ipv4.ip_forward: 0\n");
  auto fragments = probe_fragments(host);
  std::string nonce = make_nonce();
  std::string output = run_sh(script_preamble() + compose_probe(fragments, nonce));
  auto sections = split_probe(output, nonce, fragments);
  REQUIRE(sections.has_value());
  auto facts = parse_facts(*sections, host);
  REQUIRE(facts.has_value());
  CHECK_FALSE(facts->system.kernel.empty());
  CHECK(facts->system.uid >= 0);
  CHECK(facts->files[0].exists);
  CHECK_FALSE(facts->files[1].exists);
  CHECK(facts->groups.at("root").has_value());
  CHECK(facts->groups.at("root")->gid == 0);
  REQUIRE(facts->users.at("root").has_value());
  CHECK(facts->users.at("root")->uid == 0);
  CHECK_FALSE(facts->users.at("nosuchuser-reconcile").has_value());
}
