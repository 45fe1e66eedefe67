// firewall (nftables): the rendered ruleset against golden files (each also
// checked by the real `nft -c` in a user and network namespace of its own,
// which needs no privileges and touches no firewall), the probe parser on
// canned output, and the diff for each cause of drift. Set
// RECONCILE_UPDATE_GOLDEN=1 to rewrite the golden files after an intended
// change, then review the diff.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/facts_hash.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/test_files.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

std::string golden_path(const std::string& name) {
  return std::string(RECONCILE_SOURCE_DIR) + "/tests/unit/modules/golden/" + name;
}

void check_golden(const std::string& name, const std::string& actual) {
  check_golden_file("tests/unit/modules/golden/" + name, actual);
  // `unshare -rn`: a new user namespace (root inside, nobody outside) with a
  // new network namespace, so nft checks against an empty kernel ruleset.
  std::string command =
      "unshare -rn nft -c -f " + shell_quote(golden_path(name)) + " >/dev/null 2>&1";
  CHECK_MESSAGE(std::system(command.c_str()) == 0, "nft -c rejects " << name);
}

const char* kLiveJson =
    R"({"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", )"
    R"("json_schema_version": 1}}, {"table": {"family": "inet", "name": "reconcile", "handle": 4}}, )"
    R"({"chain": {"family": "inet", "table": "reconcile", "name": "input", "handle": 1, "type": )"
    R"("filter", "hook": "input", "prio": 0, "policy": "drop"}}, {"rule": {"family": "inet", )"
    R"("table": "reconcile", "chain": "input", "handle": 2, "comment": "replies", "expr": )"
    R"([{"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", )"
    R"("related"]}}, {"accept": null}]}}, {"rule": {"family": "inet", "table": "reconcile", )"
    R"("chain": "input", "handle": 8, "expr": [{"match": {"op": "==", "left": {"payload": )"
    R"({"protocol": "tcp", "field": "dport"}}, "right": {"set": [22, 443]}}}, {"accept": )"
    R"(null}]}}, {"rule": {"family": "inet", "table": "reconcile", "chain": "input", "handle": )"
    R"(10, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": )"
    R"("saddr"}}, "right": {"set": [{"prefix": {"addr": "10.0.0.0", "len": 8}}, )"
    R"("192.168.1.5"]}}}, {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", )"
    R"("field": "dport"}}, "right": 5432}}, {"accept": null}]}}, {"rule": {"family": "inet", )"
    R"("table": "reconcile", "chain": "input", "handle": 11, "expr": [{"match": {"op": "==", )"
    R"("left": {"payload": {"protocol": "udp", "field": "dport"}}, "right": 53}}, {"accept": )"
    R"(null}]}}]})";

const char* kWebHost =
    "security:\n"
    "  firewall:\n"
    "    allow_tcp: [443]\n";

// Facts of a host where `host`'s firewall was applied and nothing changed
// since, on a systemd host with apt.
HostFacts converged(const state::Host& host) {
  HostFacts facts;
  facts.system.init = "systemd";
  facts.system.package_manager = "apt";
  std::string digest = sha256_hex(firewall_ruleset(host));
  FirewallFacts& f = facts.firewall;
  f.probed = true;
  f.nft_installed = true;
  f.table_exists = true;
  f.live_digest = "1111";
  f.live_policy = "drop";
  f.rule_count = 6;
  f.live_tcp = {22, 443};
  f.recorded_rendered = digest;
  f.recorded_live = "1111";
  f.persisted_digest = digest;
  f.included = true;
  f.service_state = "enabled";
  return facts;
}

Result<HostFacts> parse(const state::Host& host, const std::string& text) {
  Sections sections;
  sections["firewall"].text = text;
  HostFacts facts;
  TRY(parse_firewall(sections, host, facts));
  return facts;
}

}  // namespace

TEST_CASE("firewall: default drop with SSH and 443") {
  check_golden("firewall-default.nft", firewall_ruleset(host_from_yaml(kWebHost)));
}

TEST_CASE("firewall: accept policy, ports sorted and deduplicated, the SSH port of ssh.port") {
  state::Host host = host_from_yaml(
      "address: 192.0.2.10\n"
      "ssh: { port: 2200 }\n"
      "security:\n"
      "  firewall:\n"
      "    policy: accept\n"
      "    allow_tcp: [443, 80, 443, 8080]\n"
      "    allow_udp: [123, 53, 53]\n");
  check_golden("firewall-accept.nft", firewall_ruleset(host));
}

TEST_CASE("firewall: per-source rules split by address family") {
  state::Host host = host_from_yaml(
      "security:\n"
      "  ssh: { port: [2222, 22] }\n"
      "  firewall:\n"
      "    allow:\n"
      "      - { port: 5432, from: [192.168.1.5, 2001:db8::/32, 10.0.0.0/8, 10.0.0.0/8] }\n"
      "      - { port: 53, proto: udp, from: [fd00::/8] }\n"
      "      - { port: 8080 }\n");
  check_golden("firewall-sources.nft", firewall_ruleset(host));
}

TEST_CASE("firewall: keep_ssh_open false leaves the SSH port to the rules") {
  state::Host host = host_from_yaml(
      "security:\n"
      "  firewall:\n"
      "    keep_ssh_open: false\n"
      "    allow_tcp: [443]\n");
  std::string ruleset = firewall_ruleset(host);
  CHECK(ruleset.find("SSH") == std::string::npos);
  check_golden("firewall-no-ssh.nft", ruleset);
}

TEST_CASE("firewall: without allow_icmp only IPv6 neighbour discovery passes") {
  state::Host host = host_from_yaml(
      "security:\n"
      "  firewall:\n"
      "    allow_icmp: false\n");
  std::string ruleset = firewall_ruleset(host);
  CHECK(ruleset.find("ip protocol icmp") == std::string::npos);
  CHECK(ruleset.find("nd-neighbor-solicit") != std::string::npos);
  check_golden("firewall-no-icmp.nft", ruleset);
}

TEST_CASE("firewall: a host without security.firewall has no probe and no change") {
  state::Host host = host_from_yaml("packages: [curl]\n");
  CHECK(probe_firewall(host).empty());
  HostFacts facts;
  CHECK(parse_firewall({}, host, facts).has_value());
  CHECK_FALSE(facts.firewall.probed);
  CHECK(diff_module(diff_firewall, host, facts).empty());
}

TEST_CASE("firewall probe: absent table, present table, malformed output") {
  state::Host host = host_from_yaml(kWebHost);
  REQUIRE(probe_firewall(host).size() == 1);
  CHECK(probe_firewall(host)[0].section == "firewall");

  auto absent = parse(host, "nft installed\ntable absent\ninclude no\nservice disabled\n");
  REQUIRE(absent.has_value());
  CHECK(absent->firewall.probed);
  CHECK(absent->firewall.nft_installed);
  CHECK_FALSE(absent->firewall.table_exists);
  CHECK_FALSE(absent->firewall.recorded_rendered.has_value());
  CHECK_FALSE(absent->firewall.persisted_digest.has_value());
  CHECK(absent->firewall.service_state == "disabled");

  auto missing = parse(host, "nft missing\ninclude no\n");
  REQUIRE(missing.has_value());
  CHECK_FALSE(missing->firewall.nft_installed);

  auto present = parse(host, std::string("nft installed\njson ") + kLiveJson +
                                 " \nlive abcd\nstate r1 l1\nfile f1\ninclude yes\n"
                                 "service enabled\n");
  REQUIRE(present.has_value());
  const FirewallFacts& f = present->firewall;
  CHECK(f.table_exists);
  CHECK(f.live_digest == "abcd");
  CHECK(f.live_policy == "drop");
  CHECK(f.rule_count == 4);
  CHECK(f.live_tcp == std::set<int>{22, 443});
  CHECK(f.live_udp == std::set<int>{53});
  CHECK(f.live_source_rules == 1);
  CHECK(f.recorded_rendered == "r1");
  CHECK(f.recorded_live == "l1");
  CHECK(f.persisted_digest == "f1");
  CHECK(f.included);

  for (const char* bad :
       {"nft installed\njson {\"nftables\": [\nlive x\n", "nft installed\njson [1, 2]\nlive x\n",
        "nft installed\njson {\"nftables\": [{\"rule\": {\"expr\": 5}}]}\nlive x\n",
        "nft installed\njson {\"nftables\": []}\n", "something else\n",
        "nft installed\nerror Error: Operation not permitted\n"}) {
    CAPTURE(std::string(bad));
    auto result = parse(host, bad);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().code() == ErrorCode::kDataLoss);
  }
}

TEST_CASE("firewall diff: converged, then each cause of drift") {
  state::Host host = host_from_yaml(kWebHost);
  CHECK(diff_module(diff_firewall, host, converged(host)).empty());

  struct Drift {
    const char* what;
    void (*apply)(HostFacts&);
    const char* reason;
  };
  std::vector<Drift> drifts = {
      {"no table",
       [](HostFacts& f) {
         f.firewall = FirewallFacts();
         f.firewall.probed = f.firewall.nft_installed = true;
       },
       "table inet reconcile does not exist"},
      {"live table edited", [](HostFacts& f) { f.firewall.live_digest = "2222"; },
       "the live table inet reconcile was changed outside reconcile (its rules differ from those "
       "loaded at the last apply)"},
      {"desired state changed", [](HostFacts& f) { f.firewall.recorded_rendered = "00"; },
       "the desired ruleset changed since the last apply"},
      {"no record", [](HostFacts& f) { f.firewall.recorded_rendered.reset(); },
       "table inet reconcile exists but reconcile has no record of loading it "
       "(/var/lib/reconcile/firewall.state)"},
      {"persisted file edited", [](HostFacts& f) { f.firewall.persisted_digest = "00"; },
       "/etc/nftables.d/reconcile.nft differs"},
      {"persisted file deleted", [](HostFacts& f) { f.firewall.persisted_digest.reset(); },
       "/etc/nftables.d/reconcile.nft is missing"},
      {"include removed", [](HostFacts& f) { f.firewall.included = false; },
       "/etc/nftables.conf does not include /etc/nftables.d/reconcile.nft"},
      {"service disabled", [](HostFacts& f) { f.firewall.service_state = "disabled"; },
       "nftables.service is disabled, want enabled"},
  };
  for (const auto& drift : drifts) {
    CAPTURE(std::string(drift.what));
    HostFacts facts = converged(host);
    drift.apply(facts);
    auto changes = diff_module(diff_firewall, host, facts);
    REQUIRE(changes.size() == 1);
    const Change& change = changes[0];
    CHECK(change.reason.find(drift.reason) != std::string::npos);
    CHECK(change.module == "firewall");
    CHECK(change.resource == "firewall (table inet reconcile)");
    CHECK(change.key == "firewall");
    CHECK(change.phase == Phase::kSecurity);
    CHECK(change.guarded);
    CHECK(change.input == firewall_ruleset(host));
    // The ruleset travels on stdin, never inside the script.
    CHECK(change.script.find("ct state") == std::string::npos);
    CHECK(change.script.find("nft -c -f") != std::string::npos);
  }

  // Without systemd, nftables.service is neither required nor enabled.
  HostFacts plain = converged(host);
  plain.system.init = "host-init";
  plain.firewall.service_state = "";
  CHECK(diff_module(diff_firewall, host, plain).empty());
  plain.firewall.included = false;
  auto changes = diff_module(diff_firewall, host, plain);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].script.find("systemctl") == std::string::npos);
  CHECK(changes[0].script.find("/etc/nftables.conf") != std::string::npos);
}

TEST_CASE("firewall diff: fields show what the live table accepts and what is wanted") {
  state::Host host = host_from_yaml(
      "security:\n"
      "  firewall:\n"
      "    policy: accept\n"
      "    allow_tcp: [443, 80]\n"
      "    allow: [{ port: 5432, from: [10.0.0.0/8, 2001:db8::/32] }]\n");
  HostFacts facts = converged(host);
  facts.firewall.recorded_rendered = "old";
  auto changes = diff_module(diff_firewall, host, facts);
  REQUIRE(changes.size() == 1);
  const Change& change = changes[0];
  CHECK(change.action == Action::kUpdate);
  REQUIRE(find_field(change, "policy") != nullptr);
  CHECK(find_field(change, "policy")->before == "drop");
  CHECK(find_field(change, "policy")->after == "accept");
  REQUIRE(find_field(change, "tcp") != nullptr);
  CHECK(find_field(change, "tcp")->before == "22, 443");
  CHECK(find_field(change, "tcp")->after == "22, 80, 443");
  REQUIRE(find_field(change, "from-rules") != nullptr);
  CHECK(find_field(change, "from-rules")->before == "0");
  CHECK(find_field(change, "from-rules")->after == "2");
  CHECK(find_field(change, "udp") == nullptr);

  HostFacts fresh;
  fresh.system.package_manager = "apt";
  fresh.firewall.probed = true;
  fresh.firewall.nft_installed = true;
  auto create = diff_module(diff_firewall, host, fresh);
  REQUIRE(create.size() == 1);
  CHECK(create[0].action == Action::kCreate);
  CHECK(find_field(create[0], "table")->after == "inet reconcile");
  CHECK(create[0].script.find("apt-get") == std::string::npos);
}

TEST_CASE("firewall diff: nft missing installs nftables with apt, and fails clearly without") {
  state::Host host = host_from_yaml(kWebHost);
  HostFacts facts;
  facts.system.package_manager = "apt";
  facts.firewall.probed = true;
  auto changes = diff_module(diff_firewall, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].reason.find("nft is not installed") == 0);
  CHECK(changes[0].script.find("apt-get install -q -y --no-install-recommends nftables") !=
        std::string::npos);
  // The package comes before the check: nft -c needs nft.
  CHECK(changes[0].script.find("apt-get") < changes[0].script.find("nft -c"));

  facts.system.package_manager = "pacman";
  changes = diff_module(diff_firewall, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].script.find("apt-get") == std::string::npos);
  CHECK(changes[0].script.find("nft is not installed and this host has no apt") !=
        std::string::npos);
}

TEST_CASE("firewall facts: every fact the diff reads changes the saved-plan facts hash") {
  state::Host host = host_from_yaml(kWebHost);
  HostFacts base = converged(host);
  FactDigests before = digest_facts(relevant_facts(host, base));
  std::vector<void (*)(HostFacts&)> mutations = {
      [](HostFacts& f) { f.firewall.nft_installed = false; },
      [](HostFacts& f) { f.firewall.table_exists = false; },
      [](HostFacts& f) { f.firewall.live_digest = "9"; },
      [](HostFacts& f) { f.firewall.recorded_rendered = "9"; },
      [](HostFacts& f) { f.firewall.recorded_live.reset(); },
      [](HostFacts& f) { f.firewall.persisted_digest = "9"; },
      [](HostFacts& f) { f.firewall.included = false; },
      [](HostFacts& f) { f.firewall.service_state = "masked"; },
  };
  for (size_t i = 0; i < mutations.size(); ++i) {
    CAPTURE(i);
    HostFacts facts = base;
    mutations[i](facts);
    auto named = changed_facts(before, digest_facts(relevant_facts(host, facts)));
    REQUIRE(named.size() == 1);
    CHECK(named[0] == "firewall changed");
  }
  // A host without security.firewall is not judged by its firewall.
  state::Host plain = host_from_yaml("packages: [curl]\n");
  CHECK(relevant_facts(plain, base).count("firewall") == 0);
}
