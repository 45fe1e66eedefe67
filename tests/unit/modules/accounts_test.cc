// groups and users: (desired, facts) -> changes.

#include <doctest/doctest.h>

#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

UserFacts alice_facts() {
  UserFacts user;
  user.uid = 2001;
  user.gid = 2000;
  user.primary_group = "ops";
  user.groups = {"sudo"};
  user.home = "/home/alice";
  user.shell = "/bin/bash";
  user.comment = "Alice";
  user.home_exists = true;
  return user;
}

}  // namespace

TEST_CASE("groups: create, gid update, remove, no change") {
  state::Host host = host_from_yaml(
      "groups:\n  ops: { gid: 2000 }\n  web: {}\n  old: { state: absent }\n  same: { gid: 5 }\n");
  HostFacts facts;
  facts.groups["ops"] = GroupFacts{1999, {}};
  facts.groups["web"] = std::nullopt;
  facts.groups["old"] = GroupFacts{3000, {}};
  facts.groups["same"] = GroupFacts{5, {}};
  auto changes = diff_module(diff_groups, host, facts);
  CHECK(summarize(changes) ==
        std::vector<std::string>{"~ group ops", "+ group web", "- group old !"});
  CHECK(changes[0].reason == "gid is 1999, want 2000");
  CHECK(changes[0].script == "groupmod --gid 2000 'ops'\n");
  CHECK(changes[1].script == "groupadd 'web'\n");
  CHECK(changes[2].script == "groupdel 'old'\n");

  facts.groups["ops"] = GroupFacts{2000, {}};
  facts.groups["web"] = GroupFacts{1001, {}};
  facts.groups["old"] = std::nullopt;
  CHECK(diff_module(diff_groups, host, facts).empty());
}

TEST_CASE("users: a missing user is created with every declared field") {
  state::Host host = host_from_yaml(
      "users:\n  alice:\n    uid: 2001\n    group: ops\n    groups: [sudo]\n    shell: /bin/bash\n"
      "    comment: Alice\n    password_hash: '$6$salt$hash'\n"
      "    authorized_keys: ['ssh-ed25519 "
      "AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L a']\n");
  HostFacts facts;
  facts.users["alice"] = std::nullopt;
  auto changes = diff_module(diff_users, host, facts);
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{"+ user alice", "+ authorized_keys of alice"});
  const Change& create = changes[0];
  CHECK(create.script.find("useradd --uid 2001 --gid 'ops' --groups 'sudo' --shell '/bin/bash' "
                           "--comment 'Alice' --create-home -- 'alice'\n") == 0);
  CHECK(create.script.find("chpasswd -e") != std::string::npos);
  REQUIRE(find_field(create, "password") != nullptr);
  CHECK(find_field(create, "password")->sensitive);
  CHECK(create.requires_keys == std::vector<std::string>{"group:ops", "group:sudo"});
  CHECK(changes[1].requires_keys == std::vector<std::string>{"user:alice"});
  CHECK(changes[1].input.find("ssh-ed25519 AAAA") == 0);
}

TEST_CASE("users: differences become one update with a reason per field") {
  state::Host host = host_from_yaml(
      "users:\n  alice: { uid: 2001, group: ops, groups: [sudo, adm], shell: /bin/zsh }\n");
  HostFacts facts;
  facts.users["alice"] = alice_facts();
  auto changes = diff_module(diff_users, host, facts);
  REQUIRE(summarize(changes) == std::vector<std::string>{"~ user alice"});
  CHECK(changes[0].reason == "groups is sudo, want adm,sudo; shell is /bin/bash, want /bin/zsh");
  CHECK(changes[0].script == "usermod --groups 'adm,sudo' --shell '/bin/zsh' -- 'alice'\n");
}

TEST_CASE("users: the primary group listed among groups is not a difference") {
  state::Host host = host_from_yaml("users:\n  alice: { group: ops, groups: [ops, sudo] }\n");
  HostFacts facts;
  facts.users["alice"] = alice_facts();
  CHECK(diff_module(diff_users, host, facts).empty());
}

TEST_CASE("users: password hash compared by digest; secret compared on the host") {
  state::Host host = host_from_yaml("users:\n  alice: { password_hash: '$6$a$b' }\n");
  HostFacts facts;
  facts.users["alice"] = alice_facts();
  facts.users["alice"]->shadow_digest = sha256_hex("$6$a$b");
  CHECK(diff_module(diff_users, host, facts).empty());
  facts.users["alice"]->shadow_digest = sha256_hex("!");
  auto changes = diff_module(diff_users, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].reason == "password hash differs");

  state::Host from_secret = host_from_yaml(
      "users:\n  alice: { password_hash_secret: pw }\nsecrets:\n  pw: { needed_for_users: true }\n",
      {{"secrets/pw.age", "x"}});
  facts.users["alice"]->password_matches_secret = true;
  CHECK(diff_module(diff_users, from_secret, facts).empty());
  facts.users["alice"]->password_matches_secret = false;
  auto secret_changes = diff_module(diff_users, from_secret, facts);
  REQUIRE(secret_changes.size() == 1);
  CHECK(secret_changes[0].script.find("/run/secrets/pw") != std::string::npos);
  CHECK(secret_changes[0].requires_keys == std::vector<std::string>{"secret:pw"});
}

TEST_CASE("users: authorized_keys managed exactly, with owner and modes") {
  std::string key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L a";
  state::Host host = host_from_yaml("users:\n  alice:\n    authorized_keys: ['" + key + "']\n");
  HostFacts facts;
  facts.users["alice"] = alice_facts();
  UserFacts& user = *facts.users["alice"];
  user.keys_digest = sha256_hex(key + "\n");
  user.keys_owner = "alice:ops";
  user.keys_mode = "600";
  user.ssh_dir_owner = "alice:ops";
  user.ssh_dir_mode = "700";
  CHECK(diff_module(diff_users, host, facts).empty());
  user.keys_mode = "644";
  user.keys_digest = sha256_hex("other\n");
  auto changes = diff_module(diff_users, host, facts);
  REQUIRE(summarize(changes) == std::vector<std::string>{"~ authorized_keys of alice"});
  CHECK(changes[0].reason == "content differs; mode is 644, want 600");
}

TEST_CASE("users: removal is destructive and keeps the home directory") {
  state::Host host =
      host_from_yaml("users:\n  olduser: { state: absent }\n  gone: { state: absent }\n");
  HostFacts facts;
  facts.users["olduser"] = alice_facts();
  facts.users["gone"] = std::nullopt;
  auto changes = diff_module(diff_users, host, facts);
  REQUIRE(summarize(changes) == std::vector<std::string>{"- user olduser !"});
  CHECK(changes[0].script == "userdel -- 'olduser'\n");
  CHECK(changes[0].reason.find("/home/alice is kept") != std::string::npos);
}

TEST_CASE("users: probe output is parsed, primary group removed from groups") {
  state::Host host = host_from_yaml("users:\n  alice: {}\n  bob: {}\n");
  Sections sections;
  sections["users"].text =
      "user alice passwd alice:x:2001:2000:Alice, Room 1:/home/alice:/bin/bash\n"
      "user alice primary ops\n"
      "user alice groups ops sudo adm\n"
      "user alice home_exists\n"
      "user alice sshdir alice:ops 700\n"
      "user alice keys 0123abcd alice:ops 600\n"
      "user bob missing\n";
  HostFacts facts;
  REQUIRE(parse_users(sections, host, facts).has_value());
  REQUIRE(facts.users["alice"].has_value());
  const UserFacts& alice = *facts.users["alice"];
  CHECK(alice.uid == 2001);
  CHECK(alice.comment == "Alice, Room 1");
  CHECK(alice.groups == std::set<std::string>{"sudo", "adm"});
  CHECK(alice.keys_digest == "0123abcd");
  CHECK(alice.keys_mode == "600");
  CHECK_FALSE(facts.users["bob"].has_value());

  sections["users"].text = "garbage\n";
  CHECK_FALSE(parse_users(sections, host, facts).has_value());
}
