// The loader on valid input: every section lands in its struct, roles merge
// as DESIGN says, templates render, and the example repository loads clean.

#include "desired-state/loader.h"

#include <doctest/doctest.h>

#include <set>

#include "desired-state/memory_source.h"

using namespace reconcile;
using namespace reconcile::state;

namespace {

const Host& only_host(const LoadResult& result) {
  for (const auto& d : result.diagnostics.items())
    MESSAGE(d.to_string());
  REQUIRE(result.ok());
  REQUIRE(result.repo.hosts.size() == 1);
  return result.repo.hosts.front();
}

}  // namespace

TEST_CASE("roles merge in listed order, host last; maps merge, lists and scalars replace") {
  MemorySource source({
      {"reconcile.yaml", "defaults: { ssh: { user: deploy, port: 2200 } }\n"},
      {"roles/a.yaml",
       "packages: [curl, vim]\nsysctl: { net.a: 1, net.b: 1 }\n"
       "users:\n  alice: { shell: /bin/sh, groups: [sudo] }\nvars: { x: from-a }\n"},
      {"roles/b.yaml",
       "packages: [nginx]\nsysctl: { net.b: 2 }\nusers:\n  alice: { uid: 1001 }\n"
       "vars: { x: from-b, y: b }\n"},
      {"hosts/h.yaml",
       "roles: [a, b]\nsysctl: { net.c: 3 }\nusers:\n  alice: { groups: [adm] }\n"
       "vars: { y: host }\n"},
  });
  LoadResult result = load_repo(source);
  const Host& host = only_host(result);
  CHECK(host.roles == std::vector<std::string>{"a", "b"});
  REQUIRE(host.packages.size() == 1);  // b's list replaced a's
  CHECK(host.packages[0].name == "nginx");
  CHECK(host.sysctl ==
        std::map<std::string, std::string>{{"net.a", "1"}, {"net.b", "2"}, {"net.c", "3"}});
  REQUIRE(host.users.size() == 1);
  const User& alice = host.users[0];
  CHECK(alice.shell == "/bin/sh");                         // from a
  CHECK(alice.uid == 1001u);                               // from b
  CHECK(alice.groups == std::vector<std::string>{"adm"});  // host replaced the list
  CHECK(host.vars.at("x") == "from-b");
  CHECK(host.vars.at("y") == "host");
  CHECK(host.ssh.user == "deploy");  // repo default
  CHECK(host.ssh.port == 2200);
  CHECK(host.address == "h");  // defaults to the host name
}

TEST_CASE("every section is parsed into its struct") {
  MemorySource source({
      {"reconcile.yaml",
       "secrets:\n  recipients:\n    ctl: "
       "age1dn3lj54q9nal0t9htcqgdrr4dmwmak0y6yx25tlqmgkn62649a0qlnlr3k\n"
       "  controller: ctl\n  access: { tok: [ctl] }\n"},
      {"disk-layouts/vps.yaml",
       "table: gpt\npartitions:\n  - { size: rest, type: linux, filesystem: { type: ext4, "
       "mountpoint: / } }\n"},
      {"secrets/tok.age", "x"},
      {"secrets/hash.age", "x"},
      {"files/a.conf", "name={{ host.name }} addr={{host.address}} v={{ vars.v }}\n"},
      {"hosts/h1.yaml", R"(
address: 192.0.2.7
ssh: { user: admin, port: 2222, host_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGwzZp3TvfNr7aV7L1uY7m8i0sQZc6dWb5k2s0P8bq9W" }
disk: { layout: vps, device: /dev/vda, mount_root: /mnt }
groups:
  ops: { gid: 2000, system: true }
  gone: { state: absent }
users:
  alice:
    uid: 2001
    group: ops
    groups: [sudo, ops]
    shell: /bin/bash
    home: /home/alice
    comment: Alice
    password_hash_secret: hash
    authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L a"]
  bob: { state: absent }
packages: { nginx: present, telnet: absent }
files:
  /etc/a.conf: { source: files/a.conf, template: true, owner: root, group: ops, mode: "0640", restart: [nginx.service] }
  /etc/raw: { content: "{{ not templated }}" }
  /srv/data: { type: directory, mode: 0750 }
  /etc/old: { state: absent }
services:
  nginx: { enabled: true, running: true }
  job.service: { enabled: false, unit: "[Unit]\n" }
sysctl: { net.ipv4.ip_forward: 1 }
security:
  ssh: { port: [22, 2222], password_auth: false, permit_root_login: "no", allow_users: [alice], kbd_interactive: false, ciphers: [chacha20-poly1305@openssh.com] }
  firewall: { policy: drop, allow_tcp: [2222, 443], allow_udp: [53], allow_icmp: false, keep_ssh_open: false, allow: [{ port: 5432, proto: tcp, from: [10.0.0.0/8, "2001:db8::/32"] }] }
  fail2ban: { sshd: { maxretry: 5, findtime: 10m, bantime: -1, bantime_increment: true } }
  auto_updates: { schedule: weekly, reboot: true, reboot_time: "03:30" }
  lockout_timeout: 2m
secrets:
  tok: { owner: www-data, group: www-data, mode: "0440", restart: [nginx] }
  hash: { needed_for_users: true }
vars: { v: "42" }
age_recipient: age1um4lwd6fnfr7njv33pa5l84fr70vkl6sfdpgrcahyrmlm3htredsu0thrp
)"},
  });
  LoadResult result = load_repo(source);
  const Host& host = only_host(result);
  CHECK(host.name == "h1");
  CHECK(host.address == "192.0.2.7");
  CHECK(host.ssh.user == "admin");
  CHECK(host.ssh.port == 2222);
  CHECK(host.ssh.host_key.has_value());
  REQUIRE(host.disk.has_value());
  CHECK(host.disk->layout == "vps");
  CHECK(host.disk->devices == std::vector<std::string>{"/dev/vda"});
  CHECK(host.disk->mount_root == "/mnt");

  REQUIRE(host.groups.size() == 2);
  CHECK(host.groups[0].gid == 2000u);
  CHECK(host.groups[0].system);
  CHECK(host.groups[1].state == Presence::kAbsent);

  REQUIRE(host.users.size() == 2);
  const User& alice = host.users[0];
  CHECK(alice.group == "ops");
  CHECK(alice.groups == std::vector<std::string>{"sudo", "ops"});
  CHECK(alice.home == "/home/alice");
  CHECK(alice.comment == "Alice");
  CHECK(alice.password_hash_secret == "hash");
  REQUIRE(alice.authorized_keys.has_value());
  CHECK(alice.authorized_keys->size() == 1);
  CHECK(host.users[1].state == Presence::kAbsent);

  REQUIRE(host.packages.size() == 2);
  CHECK(host.packages[1].name == "telnet");
  CHECK(host.packages[1].state == Presence::kAbsent);

  REQUIRE(host.files.size() == 4);
  CHECK(host.files[0].content == "name=h1 addr=192.0.2.7 v=42\n");
  CHECK(host.files[0].source == "files/a.conf");
  CHECK(host.files[0].mode == 0640u);
  CHECK(host.files[0].group == "ops");
  CHECK(host.files[0].restart == std::vector<std::string>{"nginx"});
  CHECK(host.files[1].content == "{{ not templated }}");
  CHECK(host.files[2].type == FileType::kDirectory);
  CHECK(host.files[2].mode == 0750u);
  CHECK_FALSE(host.files[2].content.has_value());
  CHECK(host.files[3].state == Presence::kAbsent);

  REQUIRE(host.services.size() == 2);
  CHECK(host.services[1].name == "job");
  CHECK(host.services[1].enabled == false);
  CHECK(host.services[1].unit == "[Unit]\n");

  CHECK(host.sysctl.at("net.ipv4.ip_forward") == "1");

  REQUIRE(host.security.ssh.has_value());
  CHECK(host.security.ssh->ports == std::vector<int>{22, 2222});
  CHECK(host.security.ssh->password_auth == false);
  CHECK(host.security.ssh->permit_root_login == "no");
  CHECK(host.security.ssh->allow_users == std::vector<std::string>{"alice"});
  CHECK(host.security.ssh->ciphers.size() == 1);
  REQUIRE(host.security.firewall.has_value());
  CHECK(host.security.firewall->allow_tcp == std::vector<int>{2222, 443});
  CHECK(host.security.firewall->allow_udp == std::vector<int>{53});
  CHECK_FALSE(host.security.firewall->allow_icmp);
  CHECK_FALSE(host.security.firewall->keep_ssh_open);
  REQUIRE(host.security.firewall->allow.size() == 1);
  CHECK(host.security.firewall->allow[0].from.size() == 2);
  REQUIRE(host.security.fail2ban.has_value());
  CHECK((*host.security.fail2ban)[0].bantime == "-1");
  CHECK((*host.security.fail2ban)[0].maxretry == 5);
  REQUIRE(host.security.auto_updates.has_value());
  CHECK(host.security.auto_updates->schedule == "weekly");
  CHECK(host.security.auto_updates->reboot_time == "03:30");
  CHECK(host.security.lockout_timeout_seconds == 120);

  REQUIRE(host.secrets.size() == 2);
  CHECK(host.secrets[0].name == "tok");
  CHECK(host.secrets[0].source == "secrets/tok.age");
  CHECK(host.secrets[0].mode == 0440u);
  CHECK(host.secrets[1].needed_for_users);
  CHECK(host.secrets[1].mode == 0400u);

  CHECK(host.age_recipient.has_value());
  CHECK(result.repo.settings.secrets.controller == "ctl");
  CHECK(result.repo.settings.secrets.access.at("tok") == std::vector<std::string>{"ctl"});
}

TEST_CASE("file sources keep every byte") {
  std::string bytes;
  for (int c = 0; c < 256; ++c)
    bytes += static_cast<char>(c);
  MemorySource source({{"reconcile.yaml", ""},
                       {"files/all.bin", bytes},
                       {"hosts/h.yaml", "files:\n  /srv/all.bin: { source: files/all.bin }\n"}});
  LoadResult result = load_repo(source);
  const Host& host = only_host(result);
  CHECK(host.files[0].content == bytes);
}

TEST_CASE("template errors point into the source file") {
  MemorySource source(
      {{"reconcile.yaml", ""},
       {"files/t.conf", "line one\nport={{ vars.port }}\n"},
       {"hosts/h.yaml", "files:\n  /etc/t: { source: files/t.conf, template: true }\n"}});
  LoadResult result = load_repo(source);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics.items()[0].location.to_string() == "files/t.conf:2:6");
}

TEST_CASE("the example repository loads clean") {
  auto source = open_directory_source(RECONCILE_SOURCE_DIR "/desired-state/example");
  REQUIRE(source.has_value());
  LoadResult result = load_repo(**source);
  for (const auto& d : result.diagnostics.items())
    MESSAGE(d.to_string());
  REQUIRE(result.ok());
  CHECK(result.repo.hosts.size() == 3);
  CHECK(result.repo.roles.size() == 2);
  // Every top-level section of the format is used by at least one host.
  std::set<std::string> used;
  for (const auto& host : result.repo.hosts)
    used.insert(host.sections.begin(), host.sections.end());
  for (const char* section :
       {"address", "ssh", "roles", "disk", "groups", "users", "packages", "files", "services",
        "sysctl", "security", "secrets", "vars", "age_recipient", "health"}) {
    CAPTURE(std::string(section));
    CHECK(used.count(section) == 1);
  }
}
