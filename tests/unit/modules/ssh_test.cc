// The ssh module: drop-in rendering (golden file), the conflict finder run
// by a real sh on sample files, probe parsing and the diff table.

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "modules/security.h"
#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/test_files.h"

namespace reconcile {
namespace {

using modules::HostFacts;
using testing::host_from_yaml;

const char* kHardened = R"(address: 192.0.2.1
security:
  ssh:
    port: [2222, 443, 2222]
    password_auth: false
    permit_root_login: prohibit-password
    kbd_interactive: false
    allow_users: [deploy, alice]
    allow_groups: [admins]
    ciphers: [chacha20-poly1305@openssh.com, aes256-gcm@openssh.com]
    kex: [curve25519-sha256]
    macs: [hmac-sha2-256-etm@openssh.com]
)";

// Runs `script` with /bin/sh; returns stdout (the script must succeed).
std::string run_sh(const std::string& script) {
  int status = -1;
  std::string out = testing::run_sh_script(script, &status);
  CHECK(status == 0);
  return out;
}

// Facts of a host whose sshd already runs with the hardened settings.
HostFacts converged_facts(const state::Host& host) {
  HostFacts facts;
  facts.sshd.present = true;
  facts.sshd.include = true;
  facts.sshd.dropin_digest = modules::sha256_hex(modules::sshd_dropin_text(*host.security.ssh));
  facts.sshd.effective = {
      {"port", {"2222", "443"}},
      {"passwordauthentication", {"no"}},
      {"permitrootlogin", {"without-password"}},
      {"kbdinteractiveauthentication", {"no"}},
      {"allowusers", {"deploy", "alice"}},
      {"allowgroups", {"admins"}},
      {"ciphers", {"chacha20-poly1305@openssh.com,aes256-gcm@openssh.com"}},
      {"kexalgorithms", {"curve25519-sha256"}},
      {"macs", {"hmac-sha2-256-etm@openssh.com"}},
  };
  return facts;
}

TEST_CASE("ssh: the drop-in matches the golden file, sorted and without duplicates") {
  state::Host host = host_from_yaml(kHardened);
  testing::check_golden_file("tests/unit/modules/golden/sshd-hardened.conf",
                             modules::sshd_dropin_text(*host.security.ssh));
}

TEST_CASE("ssh: only the keys the host sets are written") {
  state::Host host = host_from_yaml("address: 192.0.2.1\nsecurity: {ssh: {password_auth: true}}\n");
  CHECK(modules::sshd_dropin_text(*host.security.ssh) ==
        "# Managed by reconcile (security.ssh); local changes are reverted.\n"
        "PasswordAuthentication yes\n");
}

TEST_CASE("ssh: sshd ports and the ports the controller tries") {
  state::Host plain = host_from_yaml("address: 192.0.2.1\n");
  CHECK(modules::sshd_ports(plain) == std::vector<int>{22});
  CHECK(modules::connect_ports(plain) == std::vector<int>{22});
  state::Host moved = host_from_yaml("address: 192.0.2.1\nsecurity: {ssh: {port: 2222}}\n");
  CHECK(modules::sshd_ports(moved) == std::vector<int>{2222});
  CHECK(modules::connect_ports(moved) == std::vector<int>{2222, 22});
  state::Host custom = host_from_yaml(
      "address: 192.0.2.1\nssh: {port: 2200}\nsecurity: {ssh: {port: [2222, 2200]}}\n");
  CHECK(modules::connect_ports(custom) == std::vector<int>{2200, 22});
  state::Host away =
      host_from_yaml("address: 192.0.2.1\nssh: {port: 2200}\nsecurity: {ssh: {port: 2222}}\n");
  CHECK(modules::connect_ports(away) == std::vector<int>{2222, 2200, 22});
}

TEST_CASE("ssh: the conflict finder, run by sh on sample files") {
  state::Host host = host_from_yaml(
      "address: 192.0.2.1\nsecurity: {ssh: {port: 2222, password_auth: false, "
      "kbd_interactive: false}}\n");
  auto dir = std::filesystem::temp_directory_path() / "reconcile-ssh-conflicts";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string main_config = (dir / "sshd_config").string();
  std::ofstream(main_config) << "Port 22\n"
                                "PasswordAuthentication yes\n"
                                "Include /etc/ssh/sshd_config.d/*.conf\n"
                                "ChallengeResponseAuthentication yes\n"
                                "Port=2200\n"
                                "UsePAM yes\n"
                                "Match User backup\n"
                                "  PasswordAuthentication yes\n"
                                "  Port 9\n";
  std::string earlier = (dir / "10-cloud.conf").string();
  std::ofstream(earlier) << "passwordauthentication yes\nX11Forwarding no\n";
  std::string prefix = modules::sshd_conflicts_function(*host.security.ssh);

  SUBCASE("main config: every managed keyword before the Include, Port after it too") {
    CHECK(run_sh(prefix + "sshd_conflicts main report " + main_config + "\n") ==
          "conflict " + main_config + ":1: Port 22\n" + "conflict " + main_config +
              ":2: PasswordAuthentication yes\n" + "conflict " + main_config + ":5: Port=2200\n");
  }
  SUBCASE("a drop-in read before ours: every managed keyword, any case") {
    CHECK(run_sh(prefix + "sshd_conflicts before report " + earlier + "\n") ==
          "conflict " + earlier + ":1: passwordauthentication yes\n");
  }
  SUBCASE("a file read after ours: only the keywords that add up") {
    CHECK(run_sh(prefix + "sshd_conflicts after report " + main_config + "\n") ==
          "conflict " + main_config + ":1: Port 22\n" + "conflict " + main_config +
              ":5: Port=2200\n");
  }
  SUBCASE("fix comments out exactly the conflicts and keeps the rest") {
    std::string fixed = run_sh(prefix + "sshd_conflicts main fix " + main_config + "\n");
    CHECK(fixed ==
          "# disabled by reconcile (security.ssh): Port 22\n"
          "# disabled by reconcile (security.ssh): PasswordAuthentication yes\n"
          "Include /etc/ssh/sshd_config.d/*.conf\n"
          "ChallengeResponseAuthentication yes\n"
          "# disabled by reconcile (security.ssh): Port=2200\n"
          "UsePAM yes\n"
          "Match User backup\n"
          "  PasswordAuthentication yes\n"
          "  Port 9\n");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("ssh: probe output parses into facts") {
  state::Host host = host_from_yaml(kHardened);
  std::string digest(64, 'a');
  modules::Sections sections;
  sections["ssh"].text = "dropin " + digest +
                         "\ninclude\nconflict /etc/ssh/sshd_config:3: Port 22\n"
                         "effective port 22\neffective port 2222\n"
                         "effective allowusers deploy\neffective allowusers alice\n"
                         "effective passwordauthentication no\n";
  HostFacts facts;
  REQUIRE(modules::parse_ssh(sections, host, facts));
  CHECK(facts.sshd.present);
  CHECK(facts.sshd.dropin_digest == digest);
  CHECK(facts.sshd.include);
  CHECK(facts.sshd.conflicts == std::vector<std::string>{"/etc/ssh/sshd_config:3: Port 22"});
  CHECK(facts.sshd.effective["port"] == std::vector<std::string>{"22", "2222"});
  CHECK(facts.sshd.effective["allowusers"] == std::vector<std::string>{"deploy", "alice"});

  SUBCASE("no sshd") {
    sections["ssh"].text = "nosshd\n";
    HostFacts none;
    REQUIRE(modules::parse_ssh(sections, host, none));
    CHECK_FALSE(none.sshd.present);
  }
  SUBCASE("sshd -T failing") {
    sections["ssh"].text = "effective-error /etc/ssh/sshd_config: line 4: Bad configuration\n";
    HostFacts broken;
    REQUIRE(modules::parse_ssh(sections, host, broken));
    CHECK(broken.sshd.effective_error == "/etc/ssh/sshd_config: line 4: Bad configuration");
  }
  SUBCASE("garbage is data loss") {
    sections["ssh"].text = "what is this\n";
    HostFacts bad;
    auto status = modules::parse_ssh(sections, host, bad);
    REQUIRE_FALSE(status);
    CHECK(status.error().code() == ErrorCode::kDataLoss);
  }
  SUBCASE("a short digest is data loss") {
    sections["ssh"].text = "dropin abc\n";
    HostFacts bad;
    CHECK_FALSE(modules::parse_ssh(sections, host, bad));
  }
}

TEST_CASE("ssh: diff table") {
  state::Host host = host_from_yaml(kHardened);
  HostFacts facts = converged_facts(host);

  SUBCASE("converged: nothing to do") {
    CHECK(testing::diff_module(modules::diff_ssh, host, facts).empty());
  }
  SUBCASE("a fresh host: the drop-in, the new port, and the controller follows it") {
    facts.sshd.dropin_digest.reset();
    facts.sshd.effective["port"] = {"22"};
    facts.sshd.effective["passwordauthentication"] = {"yes"};
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    const auto& change = changes[0];
    CHECK(change.action == modules::Action::kCreate);
    CHECK(change.guarded);
    CHECK(change.phase == modules::Phase::kSecurity);
    CHECK(change.input == modules::sshd_dropin_text(*host.security.ssh));
    REQUIRE(testing::find_field(change, "Port") != nullptr);
    CHECK(testing::find_field(change, "Port")->before == "22");
    CHECK(testing::find_field(change, "Port")->after == "2222 443");
    CHECK(testing::find_field(change, "PasswordAuthentication")->after == "no");
    CHECK(change.reason.find("the controller connects on port 2222 from now on") !=
          std::string::npos);
    CHECK(change.script.find("sshd -t") != std::string::npos);
  }
  SUBCASE("a hand-edited drop-in") {
    facts.sshd.dropin_digest = std::string(64, '0');
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].action == modules::Action::kUpdate);
    CHECK(changes[0].reason == "/etc/ssh/sshd_config.d/50-reconcile.conf differs");
  }
  SUBCASE("no Include of the drop-in directory") {
    facts.sshd.include = false;
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].reason == "sshd_config does not include /etc/ssh/sshd_config.d/*.conf");
  }
  SUBCASE("an earlier directive overrides the drop-in") {
    facts.sshd.conflicts = {"/etc/ssh/sshd_config.d/10-cloud.conf:1: PasswordAuthentication yes"};
    facts.sshd.effective["passwordauthentication"] = {"yes"};
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].reason ==
          "sshd -T reports passwordauthentication yes, want no; overridden by "
          "/etc/ssh/sshd_config.d/10-cloud.conf:1: PasswordAuthentication yes");
  }
  SUBCASE("a port added elsewhere shows in sshd -T") {
    facts.sshd.effective["port"] = {"22", "2222", "443"};
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(testing::find_field(changes[0], "Port")->before == "22 2222 443");
  }
  SUBCASE("sshd -T failing is a reason, never converged") {
    facts.sshd.effective.clear();
    facts.sshd.effective_error = "line 4: Bad configuration option";
    auto changes = testing::diff_module(modules::diff_ssh, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].reason == "sshd -T fails: line 4: Bad configuration option");
  }
  SUBCASE("no sshd on the host: refused") {
    facts.sshd.present = false;
    std::vector<std::string> refusals;
    std::vector<modules::Change> changes;
    modules::diff_ssh({host, facts, &refusals}, changes);
    CHECK(changes.empty());
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].find("no /usr/sbin/sshd") != std::string::npos);
  }
  SUBCASE("a socket-activated sshd cannot have its port moved: refused") {
    facts.sshd.socket_activated = true;
    std::vector<std::string> refusals;
    std::vector<modules::Change> changes;
    modules::diff_ssh({host, facts, &refusals}, changes);
    CHECK(changes.empty());
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].find("socket-activated") != std::string::npos);
  }
  SUBCASE("a host without security.ssh has no ssh probe and no change") {
    state::Host plain = host_from_yaml("address: 192.0.2.1\n");
    CHECK(modules::probe_ssh(plain).empty());
    CHECK(testing::diff_module(modules::diff_ssh, plain, HostFacts{}).empty());
  }
}

}  // namespace
}  // namespace reconcile
