// Bad input, one case at a time: each case adds one broken file to a valid
// repository and expects exactly one error, at the exact file and line, with
// the gist of the message; the valid host must still load in full, so no
// error silently drops anything else.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"

using namespace reconcile;
using namespace reconcile::state;

namespace {

MemorySource valid_repo() {
  MemorySource source;
  source.set("reconcile.yaml",
             "secrets:\n  recipients:\n    ctl: "
             "age1dn3lj54q9nal0t9htcqgdrr4dmwmak0y6yx25tlqmgkn62649a0qlnlr3k\n"
             "  controller: ctl\n");
  source.set("roles/base.yaml", "packages: [curl]\nsysctl: { net.ipv4.ip_forward: 0 }\n");
  source.set("hosts/ok.yaml",
             "address: 10.0.0.1\nroles: [base]\nusers:\n  alice: { shell: /bin/bash }\n");
  source.set("secrets/token.age", "age-encryption.org/v1\n");
  source.set("files/site.conf", "server {}\n");
  source.set("disk-layouts/small.yaml",
             "table: gpt\npartitions:\n  - { size: rest, type: linux, filesystem: { type: ext4, "
             "mountpoint: / } }\n");
  return source;
}

struct BadCase {
  const char* name;
  const char* path;  // file to add or replace
  const char* yaml;
  const char* file;  // expected error file
  int line;          // expected error line
  const char* gist;  // expected substring of the message
};

const std::vector<BadCase> kCases = {
    {"yaml syntax", "hosts/h.yaml", "a: [1, 2\nb: 1\n", "hosts/h.yaml", 2, "YAML syntax error"},
    {"duplicate key", "hosts/h.yaml", "address: 10.0.0.2\naddress: 10.0.0.3\n", "hosts/h.yaml", 2,
     "duplicate key 'address'"},
    {"unknown top-level key", "hosts/h.yaml", "address: 10.0.0.2\npakages: [x]\n", "hosts/h.yaml",
     2, "did you mean 'packages'"},
    {"unknown key far from any", "hosts/h.yaml", "zzzzzzzz: 1\n", "hosts/h.yaml", 1,
     "unknown key 'zzzzzzzz'"},
    {"host file not a map", "hosts/h.yaml", "- a\n- b\n", "hosts/h.yaml", 1, "must be a map"},
    {"bad address", "hosts/h.yaml", "address: 'bad address'\n", "hosts/h.yaml", 1,
     "expected a host name, an IPv4"},
    {"address all digits", "hosts/h.yaml", "address: 300.1.2.3\n", "hosts/h.yaml", 1,
     "expected a host name"},
    {"bad host file name", "hosts/-h.yaml", "address: 10.0.0.2\n", "hosts/-h.yaml", 0,
     "file name must be"},
    {"duplicate host", "hosts/ok.yml", "address: 10.0.0.9\n", "hosts/ok.yml", 0, "defined twice"},
    {"unknown role", "hosts/h.yaml", "roles: [base, webb]\n", "hosts/h.yaml", 1,
     "unknown role 'webb'"},
    {"role listed twice", "hosts/h.yaml", "roles: [base, base]\n", "hosts/h.yaml", 1,
     "listed twice"},
    {"roles not a list", "hosts/h.yaml", "roles: base\n", "hosts/h.yaml", 1,
     "expected a list of strings"},
    {"role sets address", "roles/r.yaml", "address: 10.0.0.5\n", "roles/r.yaml", 1,
     "a role cannot set 'address'"},
    {"role unknown key", "roles/r.yaml", "userz: {}\n", "roles/r.yaml", 1, "did you mean 'users'"},
    {"ssh port range", "hosts/h.yaml", "ssh: { port: 0 }\n", "hosts/h.yaml", 1, "out of range"},
    {"ssh port not int", "hosts/h.yaml", "ssh: { port: ssh }\n", "hosts/h.yaml", 1,
     "expected an integer"},
    {"ssh bad user", "hosts/h.yaml", "ssh: { user: 'Root User' }\n", "hosts/h.yaml", 1,
     "user name"},
    {"ssh bad host key", "hosts/h.yaml", "ssh: { host_key: 'not-a-key' }\n", "hosts/h.yaml", 1,
     "OpenSSH public key"},
    {"user bad name", "hosts/h.yaml", "users:\n  Bob: {}\n", "hosts/h.yaml", 2, "adduser"},
    {"user uid negative", "hosts/h.yaml", "users:\n  bob: { uid: -1 }\n", "hosts/h.yaml", 2,
     "out of range"},
    {"user uid too big", "hosts/h.yaml", "users:\n  bob: { uid: 99999999999 }\n", "hosts/h.yaml", 2,
     "out of range"},
    {"user relative shell", "hosts/h.yaml", "users:\n  bob: { shell: bash }\n", "hosts/h.yaml", 2,
     "login shell"},
    {"user relative home", "hosts/h.yaml", "users:\n  bob: { home: home/bob }\n", "hosts/h.yaml", 2,
     "absolute path"},
    {"user groups scalar", "hosts/h.yaml", "users:\n  bob: { groups: sudo }\n", "hosts/h.yaml", 2,
     "expected a list"},
    {"user bad group in list", "hosts/h.yaml", "users:\n  bob:\n    groups: [ok, 'Bad']\n",
     "hosts/h.yaml", 3, "group name"},
    {"user plain password", "hosts/h.yaml", "users:\n  bob: { password_hash: hunter2 }\n",
     "hosts/h.yaml", 2, "crypt(3) hash"},
    {"user bad authorized key", "hosts/h.yaml",
     "users:\n  bob:\n    authorized_keys: ['ssh-dss AAAA']\n", "hosts/h.yaml", 3,
     "OpenSSH public key"},
    {"user state invalid", "hosts/h.yaml", "users:\n  bob: { state: gone }\n", "hosts/h.yaml", 2,
     "expected one of present, absent"},
    {"user unknown field", "hosts/h.yaml", "users:\n  bob: { shel: /bin/sh }\n", "hosts/h.yaml", 2,
     "did you mean 'shell'"},
    {"user comment with colon", "hosts/h.yaml", "users:\n  bob: { comment: 'a:b' }\n",
     "hosts/h.yaml", 2, "without ':'"},
    {"password secret missing", "hosts/h.yaml", "users:\n  bob: { password_hash_secret: nope }\n",
     "hosts/h.yaml", 2, "no secret 'nope'"},
    {"password secret not for users", "hosts/h.yaml",
     "users:\n  bob: { password_hash_secret: token }\nsecrets:\n  token: {}\n", "hosts/h.yaml", 2,
     "needed_for_users"},
    {"group gid string", "hosts/h.yaml", "groups:\n  ops: { gid: abc }\n", "hosts/h.yaml", 2,
     "expected an integer"},
    {"groups not a map", "hosts/h.yaml", "groups: [ops]\n", "hosts/h.yaml", 1, "expected a map"},
    {"package bad name", "hosts/h.yaml", "packages: ['-rf']\n", "hosts/h.yaml", 1, "package name"},
    {"package twice", "hosts/h.yaml", "packages: [curl, curl]\n", "hosts/h.yaml", 1,
     "listed twice"},
    {"package bad state", "hosts/h.yaml", "packages: { curl: latest }\n", "hosts/h.yaml", 1,
     "present or absent"},
    {"file relative path", "hosts/h.yaml", "files:\n  etc/x: { content: a }\n", "hosts/h.yaml", 2,
     "absolute path"},
    {"file dotdot path", "hosts/h.yaml", "files:\n  /etc/../x: { content: a }\n", "hosts/h.yaml", 2,
     "'..'"},
    {"file missing source", "hosts/h.yaml", "files:\n  /etc/x: { source: files/nope }\n",
     "hosts/h.yaml", 2, "does not exist"},
    {"file source outside files", "hosts/h.yaml", "files:\n  /etc/x: { source: ../etc/passwd }\n",
     "hosts/h.yaml", 2, "files/ directory"},
    {"file source with dotdot", "hosts/h.yaml",
     "files:\n  /etc/x: { source: files/../reconcile.yaml }\n", "hosts/h.yaml", 2, "'..'"},
    {"file both content and source", "hosts/h.yaml",
     "files:\n  /etc/x: { content: a, source: files/site.conf }\n", "hosts/h.yaml", 2, "not both"},
    {"file no content", "hosts/h.yaml", "files:\n  /etc/x: { mode: '0644' }\n", "hosts/h.yaml", 2,
     "needs content or source"},
    {"file bad mode", "hosts/h.yaml", "files:\n  /etc/x: { content: a, mode: '0999' }\n",
     "hosts/h.yaml", 2, "octal file mode"},
    {"file mode too long", "hosts/h.yaml", "files:\n  /etc/x: { content: a, mode: '00644' }\n",
     "hosts/h.yaml", 2, "octal file mode"},
    {"file bad type", "hosts/h.yaml", "files:\n  /etc/x: { type: link }\n", "hosts/h.yaml", 2,
     "expected one of file, directory"},
    {"directory with content", "hosts/h.yaml",
     "files:\n  /etc/x: { type: directory, content: a }\n", "hosts/h.yaml", 2,
     "a directory has no content"},
    {"file bad owner", "hosts/h.yaml", "files:\n  /etc/x: { content: a, owner: 'Root' }\n",
     "hosts/h.yaml", 2, "user name"},
    {"template unknown variable", "hosts/h.yaml",
     "files:\n  /etc/x: { content: '{{ vars.port }}', template: true }\n", "hosts/h.yaml", 2,
     "unknown template variable 'vars.port'"},
    {"template unclosed", "hosts/h.yaml",
     "files:\n  /etc/x: { content: 'a {{ host.name', template: true }\n", "hosts/h.yaml", 2,
     "never closed"},
    {"service bad name", "hosts/h.yaml", "services:\n  'ng inx': {}\n", "hosts/h.yaml", 2,
     "unit name"},
    {"service enabled not bool", "hosts/h.yaml", "services:\n  nginx: { enabled: 'yes' }\n",
     "hosts/h.yaml", 2, "true or false"},
    {"sysctl bad key", "hosts/h.yaml", "sysctl:\n  'net..x': 1\n", "hosts/h.yaml", 2, "sysctl key"},
    {"sysctl multi-line value", "hosts/h.yaml", "sysctl:\n  net.x: \"1\\n2\"\n", "hosts/h.yaml", 2,
     "single-line"},
    {"security unknown", "hosts/h.yaml", "security:\n  firewal: {}\n", "hosts/h.yaml", 2,
     "did you mean 'firewall'"},
    {"ssh root login choice", "hosts/h.yaml", "security:\n  ssh: { permit_root_login: maybe }\n",
     "hosts/h.yaml", 2, "prohibit-password"},
    {"firewall policy", "hosts/h.yaml", "security:\n  firewall: { policy: reject }\n",
     "hosts/h.yaml", 2, "expected one of drop, accept"},
    {"firewall port range", "hosts/h.yaml", "security:\n  firewall:\n    allow_tcp: [22, 65536]\n",
     "hosts/h.yaml", 3, "out of range"},
    {"firewall bad source", "hosts/h.yaml",
     "security:\n  firewall:\n    allow: [{ port: 5432, from: [10.0.0.0/33] }]\n", "hosts/h.yaml",
     3, "10.0.0.0/8"},
    {"firewall rule without port", "hosts/h.yaml",
     "security:\n  firewall:\n    allow: [{ from: [10.0.0.0/8] }]\n", "hosts/h.yaml", 3,
     "needs a port"},
    {"fail2ban bad bantime", "hosts/h.yaml",
     "security:\n  fail2ban:\n    sshd: { bantime: forever }\n", "hosts/h.yaml", 3, "duration"},
    {"auto updates bad", "hosts/h.yaml", "security:\n  auto_updates: hourly\n", "hosts/h.yaml", 2,
     "daily, weekly or off"},
    {"lockout timeout too short", "hosts/h.yaml", "security:\n  lockout_timeout: 1s\n",
     "hosts/h.yaml", 2, "10s to 1h"},
    {"secret missing file", "hosts/h.yaml", "secrets:\n  nope: {}\n", "hosts/h.yaml", 2,
     "secrets/nope.age' does not exist"},
    {"secret bad name", "hosts/h.yaml", "secrets:\n  'a/b': {}\n", "hosts/h.yaml", 2,
     "secret name"},
    {"secret bad mode", "hosts/h.yaml", "secrets:\n  token: { mode: rw }\n", "hosts/h.yaml", 2,
     "octal file mode"},
    {"disk unknown layout", "hosts/h.yaml", "disk: { layout: big, device: /dev/sda }\n",
     "hosts/h.yaml", 1, "no disk layout 'big'"},
    {"disk without device", "hosts/h.yaml", "disk: { layout: small }\n", "hosts/h.yaml", 1,
     "a device is required"},
    {"vars bad name", "hosts/h.yaml", "vars:\n  'a-b': 1\n", "hosts/h.yaml", 2, "variable name"},
    {"age recipient bad", "hosts/h.yaml", "age_recipient: AGE-SECRET-KEY-1XYZ\n", "hosts/h.yaml", 1,
     "age X25519 recipient"},
    {"NUL in value", "hosts/h.yaml", "users:\n  bob: { comment: \"a\\0b\" }\n", "hosts/h.yaml", 2,
     "NUL byte"},
    {"settings unknown key", "reconcile.yaml", "defualts: {}\n", "reconcile.yaml", 1,
     "did you mean 'defaults'"},
    {"settings bad recipient", "reconcile.yaml", "secrets:\n  recipients:\n    x: not-a-key\n",
     "reconcile.yaml", 3, "age recipient"},
    {"settings unknown controller", "reconcile.yaml", "secrets:\n  controller: nobody\n",
     "reconcile.yaml", 2, "no recipient named 'nobody'"},
    {"two documents", "hosts/h.yaml", "a: 1\n---\nb: 2\n", "hosts/h.yaml", 2,
     "one document is expected"},
    {"stray comma", "hosts/h.yaml", ",\naddress: 10.0.0.2\n", "hosts/h.yaml", 1, "stray ','"},
};

}  // namespace

TEST_CASE("the valid base repository loads clean") {
  MemorySource source = valid_repo();
  LoadResult result = load_repo(source);
  for (const auto& d : result.diagnostics.items())
    MESSAGE(d.to_string());
  REQUIRE(result.ok());
  REQUIRE(result.repo.hosts.size() == 1);
}

TEST_CASE("bad input cases report exactly one error at the right place") {
  CHECK(kCases.size() >= 40);
  for (const auto& c : kCases) {
    std::string name = c.name;
    CAPTURE(name);
    MemorySource source = valid_repo();
    source.set(c.path, c.yaml);
    LoadResult result = load_repo(source);
    REQUIRE_FALSE(result.ok());
    if (result.diagnostics.size() != 1) {
      for (const auto& d : result.diagnostics.items())
        MESSAGE(d.to_string());
    }
    CHECK(result.diagnostics.size() == 1);
    const Diagnostic& d = result.diagnostics.items().front();
    CHECK(d.location.file == c.file);
    CHECK(d.location.line == c.line);
    CHECK(d.message.find(c.gist) != std::string::npos);
    // The valid host is untouched by the other file's problem.
    auto ok = std::find_if(result.repo.hosts.begin(), result.repo.hosts.end(),
                           [](const Host& h) { return h.name == "ok"; });
    if (std::string(c.path) != "reconcile.yaml") {
      REQUIRE(ok != result.repo.hosts.end());
      CHECK(ok->users.size() == 1);
      CHECK(ok->packages.size() == 1);
      CHECK(ok->sysctl.size() == 1);
    }
  }
}

TEST_CASE("all errors of a repository are reported in one run") {
  MemorySource source = valid_repo();
  source.set("hosts/a.yaml", "address: 'x y'\nusers:\n  Bad: {}\n");
  source.set("hosts/b.yaml", "packages: ['-x']\n");
  source.set("roles/r.yaml", "userz: {}\n");
  LoadResult result = load_repo(source);
  CHECK(result.diagnostics.size() == 4);
  // Sorted by file, then line.
  CHECK(result.diagnostics.items()[0].location.file == "hosts/a.yaml");
  CHECK(result.diagnostics.items()[0].location.line == 1);
  CHECK(result.diagnostics.items()[1].location.line == 3);
  CHECK(result.diagnostics.items()[2].location.file == "hosts/b.yaml");
  CHECK(result.diagnostics.items()[3].location.file == "roles/r.yaml");
}

TEST_CASE("an error in a role is reported at the role file, once") {
  MemorySource source = valid_repo();
  source.set("roles/base.yaml",
             "packages: [curl]\nsysctl: { net.ipv4.ip_forward: 0 }\nusers:\n  bob: { uid: x }\n");
  source.set("hosts/other.yaml", "roles: [base]\n");
  LoadResult result = load_repo(source);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics.items()[0].location.file == "roles/base.yaml");
  CHECK(result.diagnostics.items()[0].location.line == 4);
}

TEST_CASE("a repository without reconcile.yaml is refused") {
  MemorySource source = valid_repo();
  source.remove("reconcile.yaml");
  LoadResult result = load_repo(source);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics.items()[0].location.file == "reconcile.yaml");
}
