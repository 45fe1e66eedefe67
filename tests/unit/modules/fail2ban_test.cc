// fail2ban: the jail file against golden files, the probe parser on canned
// output, and (desired, facts) -> changes.

#include <doctest/doctest.h>

#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/test_files.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

const char* kHardened =
    "security:\n"
    "  ssh: { port: [2222, 22] }\n"
    "  fail2ban:\n"
    "    sshd: { maxretry: 3, findtime: 10m, bantime: 1h, bantime_increment: true }\n"
    "    recidive: { enabled: false }\n"
    "    nginx-http-auth: { bantime: \"-1\", findtime: \"600\", bantime_increment: false }\n";

HostFacts debian12() {
  HostFacts facts;
  facts.system.os_id = "debian";
  facts.system.os_version_id = "12";
  facts.system.init = "systemd";
  facts.system.package_manager = "apt";
  return facts;
}

// A Debian 12 host where everything is as declared.
HostFacts converged(const state::Host& host) {
  HostFacts facts = debian12();
  facts.fail2ban.packages = {{"fail2ban", PackageState::kInstalled},
                             {"nftables", PackageState::kInstalled},
                             {"python3-systemd", PackageState::kInstalled}};
  facts.fail2ban.jail_digest = sha256_hex(render_fail2ban_jails(host, true));
  facts.fail2ban.enabled = "enabled";
  facts.fail2ban.active = "active";
  return facts;
}

}  // namespace

TEST_CASE("fail2ban: the jail file matches its golden files") {
  state::Host host = host_from_yaml(kHardened);
  check_golden_file("tests/unit/modules/golden/fail2ban-debian12.local",
                    render_fail2ban_jails(host, true));
  check_golden_file("tests/unit/modules/golden/fail2ban-other.local",
                    render_fail2ban_jails(host, false));
  // Debian's own sshd jail reads the journal too when the host declares
  // other jails only.
  state::Host no_sshd = host_from_yaml("security:\n  fail2ban:\n    recidive: { maxretry: 5 }\n");
  check_golden_file("tests/unit/modules/golden/fail2ban-debian12-no-sshd.local",
                    render_fail2ban_jails(no_sshd, true));
  CHECK(render_fail2ban_jails(no_sshd, false).find("sshd_backend") == std::string::npos);
}

TEST_CASE("fail2ban: the sshd jail follows the ports sshd listens on") {
  state::Host moved =
      host_from_yaml("security:\n  ssh: { port: 2200 }\n  fail2ban:\n    sshd: { maxretry: 3 }\n");
  CHECK(render_fail2ban_jails(moved, false).find("\nport = 2200\n") != std::string::npos);
  state::Host plain = host_from_yaml("ssh: { port: 2022 }\nsecurity:\n  fail2ban: { sshd: {} }\n");
  CHECK(render_fail2ban_jails(plain, false).find("\nport = 2022\n") != std::string::npos);
  state::Host neither = host_from_yaml("security:\n  fail2ban: { sshd: {} }\n");
  CHECK(render_fail2ban_jails(neither, false).find("\nport = 22\n") != std::string::npos);

  // A port change is drift of the jail file, with a reload.
  state::Host before =
      host_from_yaml("security:\n  ssh: { port: 22 }\n  fail2ban:\n    sshd: { maxretry: 3 }\n");
  auto changes = diff_module(diff_fail2ban, moved, converged(before));
  CHECK(summarize(changes) ==
        std::vector<std::string>{"~ fail2ban jails /etc/fail2ban/jail.d/reconcile.local",
                                 "~ reload fail2ban"});
  CHECK(changes[0].input.find("port = 2200") != std::string::npos);
}

TEST_CASE("fail2ban: a converged host has nothing to do") {
  state::Host host = host_from_yaml(kHardened);
  CHECK(diff_module(diff_fail2ban, host, converged(host)).empty());
  // A host without security.fail2ban plans nothing and probes nothing.
  state::Host none = host_from_yaml("packages: [vim]\n");
  CHECK(diff_module(diff_fail2ban, none, debian12()).empty());
  CHECK(probe_fail2ban(none).empty());
}

TEST_CASE("fail2ban: a fresh host gets the package, the file, the service and a reload") {
  state::Host host = host_from_yaml(kHardened);
  HostFacts facts = debian12();
  facts.fail2ban.packages = {{"fail2ban", PackageState::kMissing},
                             {"nftables", PackageState::kInstalled},
                             {"python3-systemd", PackageState::kMissing}};
  facts.fail2ban.enabled = "not-found";
  facts.fail2ban.active = "inactive";
  auto changes = diff_module(diff_fail2ban, host, facts);
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{"+ fail2ban package",
                                   "+ fail2ban jails /etc/fail2ban/jail.d/reconcile.local",
                                   "~ service fail2ban", "~ reload fail2ban"});
  const Change& package = changes[0];
  CHECK(package.phase == Phase::kPackages);
  CHECK(package.reason == "fail2ban and python3-systemd are not installed");
  CHECK(package.script.find("apt-get install -q -y --no-install-recommends") != std::string::npos);
  CHECK(package.script.find("'fail2ban' 'python3-systemd'") != std::string::npos);
  CHECK(package.script.find("apt-get update") == std::string::npos);  // both are known
  CHECK_FALSE(package.guarded);

  const Change& file = changes[1];
  CHECK(file.phase == Phase::kFiles);
  CHECK(file.reason == "/etc/fail2ban/jail.d/reconcile.local does not exist");
  CHECK(file.requires_keys == std::vector<std::string>{"fail2ban:package"});
  CHECK(file.input == render_fail2ban_jails(host, true));
  CHECK(file.script.find("fail2ban-client -t") != std::string::npos);
  // The previous file comes back when fail2ban rejects the new one.
  CHECK(file.script.find("mv -f -- \"$backup\" '/etc/fail2ban/jail.d/reconcile.local'") !=
        std::string::npos);

  const Change& service = changes[2];
  CHECK(service.phase == Phase::kServices);
  CHECK(service.reason == "unit is not-found, want enabled; service is inactive, want running");
  CHECK(service.script.find("systemctl enable --quiet fail2ban.service") != std::string::npos);
  CHECK(service.script.find("systemctl start fail2ban.service") != std::string::npos);
  CHECK(service.requires_keys == std::vector<std::string>{"fail2ban:package", "fail2ban:jails"});

  const Change& reload = changes[3];
  CHECK(reload.phase == Phase::kRestarts);
  CHECK(reload.triggered_by == std::vector<std::string>{"fail2ban:jails"});
  CHECK(reload.requires_keys == std::vector<std::string>{"fail2ban:service"});
  CHECK(reload.script.find("fail2ban-client reload --restart") != std::string::npos);
}

TEST_CASE("fail2ban: each kind of drift gives its own change and reason") {
  state::Host host = host_from_yaml(kHardened);

  SUBCASE("package unknown to the index: refreshed first") {
    HostFacts facts = converged(host);
    facts.fail2ban.packages["fail2ban"] = PackageState::kUnknown;
    auto changes = diff_module(diff_fail2ban, host, facts);
    REQUIRE(summarize(changes) == std::vector<std::string>{"+ fail2ban package"});
    CHECK(changes[0].reason ==
          "fail2ban is not installed; the package index will be refreshed first");
    CHECK(changes[0].script.find("apt-get update -q\n") != std::string::npos);
    CHECK(changes[0].script.find("'python3-systemd'") == std::string::npos);
  }
  SUBCASE("nftables missing: bans need it") {
    HostFacts facts = converged(host);
    facts.fail2ban.packages["nftables"] = PackageState::kMissing;
    facts.fail2ban.packages["python3-systemd"] = PackageState::kMissing;
    facts.fail2ban.packages["fail2ban"] = PackageState::kMissing;
    auto changes = diff_module(diff_fail2ban, host, facts);
    REQUIRE(summarize(changes) == std::vector<std::string>{"+ fail2ban package"});
    CHECK(changes[0].reason == "fail2ban, nftables and python3-systemd are not installed");
    CHECK(changes[0].script.find("'fail2ban' 'nftables' 'python3-systemd'\n") != std::string::npos);
  }
  SUBCASE("python3-systemd is needed only where the sshd jail reads the journal") {
    HostFacts facts = converged(host);
    facts.fail2ban.packages["python3-systemd"] = PackageState::kMissing;
    CHECK(summarize(diff_module(diff_fail2ban, host, facts)) ==
          std::vector<std::string>{"+ fail2ban package"});
    facts.system.os_version_id = "13";
    facts.fail2ban.jail_digest = sha256_hex(render_fail2ban_jails(host, false));
    CHECK(diff_module(diff_fail2ban, host, facts).empty());
  }
  SUBCASE("hand-edited jail file: rewritten and reloaded") {
    HostFacts facts = converged(host);
    facts.fail2ban.jail_digest = sha256_hex("[sshd]\nmaxretry = 99\n");
    auto changes = diff_module(diff_fail2ban, host, facts);
    REQUIRE(summarize(changes) ==
            std::vector<std::string>{"~ fail2ban jails /etc/fail2ban/jail.d/reconcile.local",
                                     "~ reload fail2ban"});
    CHECK(changes[0].reason == "/etc/fail2ban/jail.d/reconcile.local differs");
    CHECK(changes[0].action == Action::kUpdate);
  }
  SUBCASE("service disabled: enabled, not reloaded") {
    HostFacts facts = converged(host);
    facts.fail2ban.enabled = "disabled";
    auto changes = diff_module(diff_fail2ban, host, facts);
    REQUIRE(summarize(changes) == std::vector<std::string>{"~ service fail2ban"});
    CHECK(changes[0].reason == "unit is disabled, want enabled");
    CHECK(changes[0].script == "systemctl enable --quiet fail2ban.service\n");
  }
  SUBCASE("service failed: started, with its journal on failure") {
    HostFacts facts = converged(host);
    facts.fail2ban.active = "failed";
    auto changes = diff_module(diff_fail2ban, host, facts);
    REQUIRE(summarize(changes) == std::vector<std::string>{"~ service fail2ban"});
    CHECK(changes[0].reason == "service is failed, want running");
    CHECK(changes[0].script.find("journalctl -u fail2ban.service") != std::string::npos);
  }
  SUBCASE("a jail setting changes in the desired state") {
    state::Host changed = host_from_yaml(
        "security:\n  ssh: { port: [2222, 22] }\n  fail2ban:\n    sshd: { maxretry: 5 }\n");
    auto changes = diff_module(diff_fail2ban, changed, converged(host));
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].input.find("maxretry = 5") != std::string::npos);
  }
}

TEST_CASE("fail2ban: a host without systemd gets package and file; the service change fails") {
  state::Host host = host_from_yaml(kHardened);
  HostFacts facts = debian12();
  facts.system.os_id = "alpine";
  facts.system.os_version_id = "3.20";
  facts.system.init = "init";
  facts.system.package_manager = "none";
  auto changes = diff_module(diff_fail2ban, host, facts);
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{"+ fail2ban package",
                                   "+ fail2ban jails /etc/fail2ban/jail.d/reconcile.local",
                                   "~ service fail2ban"});
  CHECK(changes[0].script.find("no supported package manager") != std::string::npos);
  CHECK(changes[2].reason ==
        "this host has no systemd (init is init): reconcile enables and starts fail2ban "
        "through systemd only");
  CHECK(changes[2].script.find("exit 1") != std::string::npos);
}

TEST_CASE("fail2ban: probe output parsing") {
  state::Host host = host_from_yaml(kHardened);
  std::string digest = sha256_hex("x");
  Sections sections;
  sections["fail2ban"].text = "package fail2ban installed\npackage python3-systemd unknown\njail " +
                              digest + "\nenabled enabled\nactive failed\n";
  HostFacts facts;
  REQUIRE(parse_fail2ban(sections, host, facts).has_value());
  CHECK(facts.fail2ban.packages.at("fail2ban") == PackageState::kInstalled);
  CHECK(facts.fail2ban.packages.at("python3-systemd") == PackageState::kUnknown);
  CHECK(facts.fail2ban.jail_digest == digest);
  CHECK(facts.fail2ban.enabled == "enabled");
  CHECK(facts.fail2ban.active == "failed");

  SUBCASE("no jail file, no systemd") {
    sections["fail2ban"].text = "package fail2ban missing\npackage python3-systemd missing\n";
    HostFacts bare;
    REQUIRE(parse_fail2ban(sections, host, bare).has_value());
    CHECK_FALSE(bare.fail2ban.jail_digest.has_value());
    CHECK(bare.fail2ban.enabled.empty());
  }
  SUBCASE("malformed output is data loss") {
    for (const std::string& text :
         {std::string("package fail2ban\n"), std::string("package fail2ban half-installed\n"),
          std::string("jail not-a-digest\n"), std::string("jail " + digest + "0\n"),
          std::string("enabled\n"), std::string("active in active\n"),
          std::string("something else\n")}) {
      CAPTURE(text);
      sections["fail2ban"].text = text;
      HostFacts bad;
      auto status = parse_fail2ban(sections, host, bad);
      REQUIRE_FALSE(status.has_value());
      CHECK(status.error().code() == ErrorCode::kDataLoss);
    }
  }
}

TEST_CASE("fail2ban: the probe asks about the packages, the jail file and the service") {
  state::Host host = host_from_yaml(kHardened);
  auto fragments = probe_fail2ban(host);
  REQUIRE(fragments.size() == 1);
  CHECK(fragments[0].section == "fail2ban");
  CHECK(fragments[0].script.find("dpkg-query -W -f='${db:Status-Status}'") != std::string::npos);
  CHECK(fragments[0].script.find("'fail2ban' 'nftables' 'python3-systemd'") != std::string::npos);
  CHECK(fragments[0].script.find("sha256sum < /etc/fail2ban/jail.d/reconcile.local") !=
        std::string::npos);
  CHECK(fragments[0].script.find("systemctl is-enabled fail2ban.service") != std::string::npos);
}
