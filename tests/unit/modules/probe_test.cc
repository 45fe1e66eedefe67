// The one-round-trip probe: composing fragments, running them in a real
// /bin/sh, and splitting the output whatever bytes the fragments print.

#include "modules/probe.h"

#include <doctest/doctest.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/test_files.h"

using namespace reconcile;
using namespace reconcile::modules;

namespace {

std::string run_sh(const std::string& script) {
  return testing::run_sh_script(script);
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
  // The kernel, architecture and uid come from /proc through the shell's
  // `read`; they must be what uname(2) and geteuid(2) say.
  struct utsname name;
  REQUIRE(uname(&name) == 0);
  CHECK(facts->system.kernel == name.release);
  CHECK(facts->system.architecture == name.machine);
  CHECK(facts->system.uid == static_cast<int>(geteuid()));
  CHECK_FALSE(facts->system.hostname.empty());
  CHECK(facts->system.memory_bytes > 0);
  // os-release and the mount table come through the shell's `read`, line by line.
  CHECK_FALSE(facts->system.os_id.empty());
  std::ifstream mounts_file("/proc/self/mounts");
  size_t mount_lines = 0;
  for (std::string line; std::getline(mounts_file, line);)
    ++mount_lines;
  CHECK(facts->system.mounts.size() == mount_lines);
  // Block devices and addresses are for `reconcile facts` only.
  CHECK(facts->system.block_devices.is_null());
  CHECK(facts->system.interfaces.is_null());
  CHECK(facts->files[0].exists);
  CHECK_FALSE(facts->files[1].exists);
  CHECK(facts->groups.at("root").has_value());
  CHECK(facts->groups.at("root")->gid == 0);
  REQUIRE(facts->users.at("root").has_value());
  CHECK(facts->users.at("root")->uid == 0);
  CHECK_FALSE(facts->users.at("nosuchuser-reconcile").has_value());
}

TEST_CASE("the whole probe reports file digests, live sysctl values and primary groups") {
  state::Host host = testing::host_from_yaml(
      "files:\n  /etc/hostname: { content: x }\nusers:\n  root: {}\n"
      "sysctl:\n  kernel.ostype: Linux\n  kernel.pid_max: 1\n");
  auto fragments = probe_fragments(host);
  std::string nonce = make_nonce();
  std::string output = run_sh(script_preamble() + compose_probe(fragments, nonce));
  auto sections = split_probe(output, nonce, fragments);
  REQUIRE(sections.has_value());
  auto facts = parse_facts(*sections, host);
  REQUIRE(facts.has_value());
  std::ifstream hostname("/etc/hostname", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(hostname)), std::istreambuf_iterator<char>());
  CHECK(facts->files[0].sha256 == sha256_hex(content));
  CHECK(facts->sysctl.live.at("kernel.ostype") == "Linux");
  // An integer, read whole (a byte-wise read would give its first digit).
  std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
  std::string pid_max;
  pid_max_file >> pid_max;
  REQUIRE(pid_max.size() > 1);
  CHECK(facts->sysctl.live.at("kernel.pid_max") == pid_max);
  REQUIRE(facts->users.at("root").has_value());
  CHECK(facts->users.at("root")->primary_group == "root");
  CHECK(facts->users.at("root")->home == "/root");
}

TEST_CASE("the users probe takes home, groups, .ssh and keys from the host's own tools") {
  // getent and id are stand-ins on PATH (the host's accounts are not this
  // machine's); stat and sha256sum are the real ones, on a real home.
  char dir_template[] = "/tmp/reconcile-users-probe-XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  std::string dir = dir_template;
  std::string home = dir + "/home/alice, jr";  // a comma and a space survive
  REQUIRE(std::system(("mkdir -p '" + dir + "/bin' '" + home + "/.ssh' && chmod 700 '" + home +
                       "/.ssh' && printf 'k1\\nk2\\n' > '" + home +
                       "/.ssh/authorized_keys' && chmod 640 '" + home +
                       "/.ssh/authorized_keys' && ln -s /usr/bin/stat /usr/bin/sha256sum '" + dir +
                       "/bin/'")
                          .c_str()) == 0);
  std::ofstream(dir + "/bin/getent")
      << "#!/bin/sh\n[ \"$1 $2\" = 'passwd alice' ] || exit 2\n"
      << "echo 'alice:x:3101:3001:Alice A:" << home << ":/bin/bash'\n";
  std::ofstream(dir + "/bin/id") << "#!/bin/sh\necho 'ops dev web'\n";
  REQUIRE(std::system(("chmod +x '" + dir + "/bin/getent' '" + dir + "/bin/id'").c_str()) == 0);

  state::Host host = testing::host_from_yaml("users:\n  alice: {}\n  bob: {}\n");
  auto fragments = probe_users(host);
  std::string nonce = make_nonce();
  std::string output = run_sh("PATH='" + dir + "/bin'\n" + compose_probe(fragments, nonce));
  std::filesystem::remove_all(dir);
  auto sections = split_probe(output, nonce, fragments);
  REQUIRE(sections.has_value());
  HostFacts facts;
  REQUIRE(parse_users(*sections, host, facts).has_value());
  REQUIRE(facts.users.at("alice").has_value());
  const UserFacts& alice = *facts.users.at("alice");
  CHECK(alice.uid == 3101);
  CHECK(alice.comment == "Alice A");
  CHECK(alice.home == home);
  CHECK(alice.shell == "/bin/bash");
  CHECK(alice.home_exists);
  CHECK(alice.primary_group == "ops");
  CHECK(alice.groups == std::set<std::string>{"dev", "web"});
  CHECK(alice.ssh_dir_mode == "700");
  CHECK(alice.keys_mode == "640");
  CHECK(alice.keys_digest == sha256_hex("k1\nk2\n"));
  CHECK_FALSE(alice.keys_owner.empty());
  CHECK_FALSE(facts.users.at("bob").has_value());
}

namespace {

// A temporary directory with the files the files-probe tests look at.
struct OddFiles {
  std::string dir;
  state::Host host;
  OddFiles() {
    char dir_template[] = "/tmp/reconcile-files-probe-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    dir = dir_template;
    std::ofstream(dir + "/plain") << "plain\n";
    std::ofstream(dir + "/empty");
    std::ofstream(dir + "/back\\slash it's $(x)") << "odd\n";
    std::filesystem::create_directory(dir + "/sub");
    std::filesystem::create_symlink(dir + "/nowhere", dir + "/dangling");
    std::string yaml = "files:\n";
    for (const char* name :
         {"plain", "missing", "empty", "back\\\\slash it's $(x)", "sub", "dangling"}) {
      yaml += "  \"" + dir + "/" + name + "\": { content: x }\n";
    }
    host = testing::host_from_yaml(yaml);
  }
  ~OddFiles() { std::filesystem::remove_all(dir); }

  // Probes with `prefix` before the fragment and checks every fact.
  void check(const std::string& prefix) {
    auto fragments = probe_files(host);
    std::string nonce = make_nonce();
    std::string output = run_sh(prefix + compose_probe(fragments, nonce));
    auto sections = split_probe(output, nonce, fragments);
    REQUIRE(sections.has_value());
    HostFacts facts;
    REQUIRE(parse_files(*sections, host, facts).has_value());
    std::map<std::string, const FileFacts*> by_name;
    for (size_t i = 0; i < host.files.size(); ++i)
      by_name[host.files[i].path.substr(dir.size() + 1)] = &facts.files[i];
    CHECK(by_name.at("plain")->type == "regular file");
    CHECK(by_name.at("plain")->sha256 == sha256_hex("plain\n"));
    CHECK_FALSE(by_name.at("missing")->exists);
    CHECK(by_name.at("empty")->type == "regular file");
    CHECK(by_name.at("empty")->sha256 == sha256_hex(""));
    CHECK(by_name.at("back\\slash it's $(x)")->sha256 == sha256_hex("odd\n"));
    CHECK(by_name.at("sub")->type == "directory");
    CHECK(by_name.at("sub")->sha256.empty());
    CHECK(by_name.at("dangling")->type == "symbolic link");
    CHECK(by_name.at("dangling")->sha256.empty());
  }
};

}  // namespace

TEST_CASE("the files probe hands one stat and one sha256sum out to the right files") {
  OddFiles files;
  files.check(script_preamble());
}

TEST_CASE("the files probe falls back to one file at a time when the batch fails") {
  // A stat that fails for more than one file, as when a file vanishes
  // between the existence test and the batch.
  OddFiles files;
  std::string bin = files.dir + "/bin";
  std::filesystem::create_directory(bin);
  std::ofstream(bin + "/stat") << "#!/bin/sh\n[ $# -le 4 ] || exit 1\nexec /usr/bin/stat \"$@\"\n";
  std::filesystem::permissions(bin + "/stat", std::filesystem::perms::owner_all);
  std::filesystem::create_symlink("/usr/bin/sha256sum", bin + "/sha256sum");
  files.check("set -eu\nPATH='" + bin + "'\n");
}

namespace {

// Accounts for the users-probe tests: getent and id are stand-ins that
// behave as the real ones do with several names (one line per name found, in
// argument order; getent exits 2 and id fails when a name is unknown), over
// homes in a temporary directory; stat and sha256sum are the real ones.
struct FakeAccounts {
  std::string dir;
  state::Host host;
  FakeAccounts() {
    char dir_template[] = "/tmp/reconcile-accounts-probe-XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    dir = dir_template;
    std::filesystem::create_directories(dir + "/bin");
    // alice and carol: .ssh and keys; bob: .ssh only; erin: no home at all.
    for (const char* name : {"alice", "bob", "carol"})
      std::filesystem::create_directories(dir + "/home/" + name + "/.ssh");
    std::ofstream(dir + "/home/alice/.ssh/authorized_keys") << "a1\na2\n";
    std::ofstream(dir + "/home/carol/.ssh/authorized_keys") << "c1\n";
    REQUIRE(std::system(("chmod 700 '" + dir + "/home/alice/.ssh' && chmod 750 '" + dir +
                         "/home/bob/.ssh' && chmod 600 '" + dir +
                         "/home/alice/.ssh/authorized_keys' && chmod 644 '" + dir +
                         "/home/carol/.ssh/authorized_keys'")
                            .c_str()) == 0);
    std::ofstream passwd(dir + "/passwd");
    int uid = 3101;
    for (const char* name : {"alice", "bob", "carol", "erin"})
      passwd << name << ":x:" << uid++ << ":3001::" << dir << "/home/" << name << ":/bin/sh\n";
    passwd.close();
    std::ofstream(dir + "/groups") << "alice ops dev\nbob dev\ncarol web ops\nerin ops\n";
    std::ofstream(dir + "/bin/getent")
        << "#!/bin/sh\n[ \"$1\" = passwd ] || exit 1\nshift\nrc=0\n"
        << "for n; do /bin/grep \"^$n:\" '" << dir << "/passwd' || rc=2; done\nexit $rc\n";
    std::ofstream(dir + "/bin/id")
        << "#!/bin/sh\n[ \"$1\" = -Gn ] || exit 1\nshift\n"
        << "for n; do l=$(/bin/grep \"^$n \" '" << dir << "/groups') || exit 1; "
        << "echo \"${l#* }\"; done\n";
    REQUIRE(std::system(("chmod +x '" + dir + "/bin/getent' '" + dir + "/bin/id' && ln -s " +
                         "/usr/bin/sha256sum '" + dir + "/bin/'")
                            .c_str()) == 0);
    host = testing::host_from_yaml(
        "users:\n  alice: {}\n  dave: {}\n  bob: {}\n  erin: {}\n  carol: {}\n");
  }
  ~FakeAccounts() { std::filesystem::remove_all(dir); }

  // Probes with `stat_command` as bin/stat and checks every account's facts.
  void check(const std::string& stat_command) {
    std::ofstream(dir + "/bin/stat") << "#!/bin/sh\n" << stat_command << "\n";
    REQUIRE(std::system(("chmod +x '" + dir + "/bin/stat'").c_str()) == 0);
    auto fragments = probe_users(host);
    std::string nonce = make_nonce();
    std::string output =
        run_sh("set -eu\nPATH='" + dir + "/bin'\n" + compose_probe(fragments, nonce));
    auto sections = split_probe(output, nonce, fragments);
    REQUIRE(sections.has_value());
    CHECK(sections->at("users").exit_code == 0);
    HostFacts facts;
    REQUIRE(parse_users(*sections, host, facts).has_value());
    CHECK_FALSE(facts.users.at("dave").has_value());
    REQUIRE(facts.users.at("alice").has_value());
    REQUIRE(facts.users.at("bob").has_value());
    REQUIRE(facts.users.at("carol").has_value());
    REQUIRE(facts.users.at("erin").has_value());
    const UserFacts& alice = *facts.users.at("alice");
    const UserFacts& bob = *facts.users.at("bob");
    const UserFacts& carol = *facts.users.at("carol");
    const UserFacts& erin = *facts.users.at("erin");
    CHECK(alice.uid == 3101);
    CHECK(bob.uid == 3102);
    CHECK(carol.uid == 3103);
    CHECK(erin.uid == 3104);
    CHECK(alice.primary_group == "ops");
    CHECK(alice.groups == std::set<std::string>{"dev"});
    CHECK(bob.primary_group == "dev");
    CHECK(bob.groups.empty());
    CHECK(carol.primary_group == "web");
    CHECK(carol.groups == std::set<std::string>{"ops"});
    CHECK(alice.home_exists);
    CHECK_FALSE(erin.home_exists);
    CHECK(alice.ssh_dir_mode == "700");
    CHECK(bob.ssh_dir_mode == "750");
    CHECK(carol.ssh_dir_mode == "755");
    CHECK(erin.ssh_dir_mode.empty());
    CHECK(alice.keys_digest == sha256_hex("a1\na2\n"));
    CHECK(alice.keys_mode == "600");
    CHECK_FALSE(bob.keys_digest.has_value());
    CHECK(carol.keys_digest == sha256_hex("c1\n"));
    CHECK(carol.keys_mode == "644");
    CHECK_FALSE(erin.keys_digest.has_value());
  }
};

}  // namespace

TEST_CASE("the users probe hands one getent, id, stat and sha256sum out to the right accounts") {
  FakeAccounts accounts;
  accounts.check("exec /usr/bin/stat \"$@\"");
}

TEST_CASE("the users probe falls back to one account at a time when the batch fails") {
  // A stat that fails for more than one file, as when a file vanishes
  // between the existence test and the batch.
  FakeAccounts accounts;
  accounts.check("[ $# -le 3 ] || exit 1\nexec /usr/bin/stat \"$@\"");
}
