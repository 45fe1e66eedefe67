// known_hosts parsing and matching, fingerprints and host key verification,
// compared with what OpenSSH's own tools write and print.

#include "reconciler/transport/known_hosts.h"

#include <doctest/doctest.h>

#include "reconciler/base/strings.h"
#include "reconciler/transport/host_key_check.h"
#include "reconciler/transport/ssh_wire.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;

namespace {

struct Keys {
  Keys() {
    make_key(dir.file("ed25519"), "ed25519");
    make_key(dir.file("ecdsa"), "ecdsa -b 384");
    make_key(dir.file("rsa"), "rsa -b 2048");
    make_key(dir.file("other"), "ed25519");
  }
  PublicKey key(const std::string& name) const {
    return MUST(parse_public_key(read_file(dir.file(name) + ".pub")));
  }
  std::string line(const std::string& name) const {
    return std::string(trim(read_file(dir.file(name) + ".pub")));
  }
  TempDir dir;
};

const Keys& keys() {
  static Keys made;
  return made;
}

}  // namespace

TEST_CASE("host keys: fingerprints match ssh-keygen -l") {
  for (const char* name : {"ed25519", "ecdsa", "rsa"}) {
    CAPTURE(name);
    std::string printed = must_shell("ssh-keygen -lf " + keys().dir.file(name) + ".pub");
    // "256 SHA256:... test (ED25519)"
    std::vector<std::string> fields = split(std::string(trim(printed)), ' ');
    REQUIRE(fields.size() == 4);
    PublicKey key = keys().key(name);
    CHECK(fingerprint_sha256(key.blob) == fields[1]);
    CHECK("(" + key_type_label(key.type) + ")" == fields[3]);
  }
}

TEST_CASE("host keys: parsing public key lines") {
  PublicKey key = keys().key("ed25519");
  CHECK(key.type == "ssh-ed25519");
  CHECK(format_public_key(key) + " test" == keys().line("ed25519"));
  CHECK_FALSE(parse_public_key("ssh-ed25519").has_value());
  CHECK_FALSE(parse_public_key("ssh-ed25519 !!!notbase64").has_value());
  auto mislabelled = parse_public_key("ssh-rsa " + base64_encode(key.blob));
  REQUIRE_FALSE(mislabelled.has_value());
  CHECK(mislabelled.error().message().find("says ssh-rsa but the key data is ssh-ed25519") !=
        std::string::npos);
}

TEST_CASE("known_hosts: names and patterns") {
  CHECK(known_hosts_name("Web1.Example.org", 22) == "web1.example.org");
  CHECK(known_hosts_name("10.0.0.2", 2222) == "[10.0.0.2]:2222");
  CHECK(host_field_matches("web1,10.0.0.2", "10.0.0.2"));
  CHECK(host_field_matches("WEB1", "web1"));
  CHECK(host_field_matches("*.example.org", "web1.example.org"));
  CHECK(host_field_matches("web?", "web1"));
  CHECK_FALSE(host_field_matches("web?", "web12"));
  CHECK(host_field_matches("[10.0.0.2]:2222", "[10.0.0.2]:2222"));
  CHECK_FALSE(host_field_matches("10.0.0.2", "[10.0.0.2]:2222"));
  CHECK_FALSE(host_field_matches("*.example.org,!bad.example.org", "bad.example.org"));
  CHECK(host_field_matches("*.example.org,!bad.example.org", "good.example.org"));
}

TEST_CASE("known_hosts: hashed entries written by ssh-keygen -H match") {
  TempDir dir;
  std::string file = dir.file("known_hosts");
  write_file(file, "10.0.0.2 " + keys().line("ed25519") + "\n[10.0.0.3]:2222 " +
                       keys().line("ecdsa") + "\n");
  must_shell("ssh-keygen -q -H -f " + file + " 2>/dev/null");
  KnownHosts known = MUST(KnownHosts::load(file));
  REQUIRE(known.entries().size() == 2);
  CHECK(starts_with(known.entries()[0].hosts, "|1|"));
  CHECK(known.check("10.0.0.2", 22, keys().key("ed25519")).status == HostKeyCheck::Status::kMatch);
  CHECK(known.check("10.0.0.3", 2222, keys().key("ecdsa")).status == HostKeyCheck::Status::kMatch);
  CHECK(known.check("10.0.0.3", 22, keys().key("ecdsa")).status == HostKeyCheck::Status::kUnknown);
  CHECK(known.check("10.0.0.2", 22, keys().key("other")).status == HostKeyCheck::Status::kChanged);
}

TEST_CASE("known_hosts: unknown, changed, other types, revoked, CA lines and bad lines") {
  std::string text =
      "# comment\n\n"
      "web1 " +
      keys().line("ed25519") +
      "\n"
      "@cert-authority *.example.org " +
      keys().line("other") +
      "\n"
      "garbage\n"
      "web2 ssh-ed25519 notbase64!\n"
      "@revoked * " +
      keys().line("rsa") +
      "\n"
      "@bogus web3 " +
      keys().line("rsa") + "\n";
  KnownHosts known = KnownHosts::parse(text, "kh");
  CHECK(known.entries().size() == 3);
  REQUIRE(known.warnings().size() == 3);
  CHECK(known.warnings()[0] == "kh:5: expected \"HOSTS TYPE KEY\"");
  CHECK(starts_with(known.warnings()[1], "kh:6: "));
  CHECK(known.warnings()[2] == "kh:8: unknown marker @bogus");

  CHECK(known.check("web1", 22, keys().key("ed25519")).status == HostKeyCheck::Status::kMatch);
  CHECK(known.check("web9", 22, keys().key("ed25519")).status == HostKeyCheck::Status::kUnknown);
  HostKeyCheck changed = known.check("web1", 22, keys().key("other"));
  CHECK(changed.status == HostKeyCheck::Status::kChanged);
  REQUIRE(changed.known.size() == 1);
  CHECK(changed.known[0].line == 3);
  // A key of another type than the known one counts as a change.
  CHECK(known.check("web1", 22, keys().key("ecdsa")).status == HostKeyCheck::Status::kChanged);
  CHECK(known.check("web1", 22, keys().key("rsa")).status == HostKeyCheck::Status::kRevoked);
  // The CA line vouches for nothing.
  CHECK(known.check("a.example.org", 22, keys().key("other")).status ==
        HostKeyCheck::Status::kUnknown);
  CHECK(known.key_types("web1", 22) == std::vector<std::string>{"ssh-ed25519"});
}

TEST_CASE("known_hosts: hostile input never crashes") {
  std::string junk;
  for (int i = 0; i < 2000; ++i)
    junk += static_cast<char>((i * 7919) % 256);
  KnownHosts known =
      KnownHosts::parse(junk + "\n|1|||\n|1|AAAA|BBBB ssh-ed25519 AAAA\n@revoked\n", "junk");
  CHECK(known.check("x", 22, keys().key("ed25519")).status == HostKeyCheck::Status::kUnknown);
}

TEST_CASE("known_hosts: recorded entries are hashed and found by ssh-keygen -F") {
  TempDir dir;
  std::string file = dir.file("sub/known_hosts");
  write_file(dir.file("unused"), "");
  REQUIRE(record_known_host(file, "10.0.0.2", 22, keys().key("ed25519")).has_value());
  REQUIRE(record_known_host(file, "10.0.0.3", 2200, keys().key("ecdsa")).has_value());
  std::string text = read_file(file);
  CHECK(text.find("10.0.0") == std::string::npos);
  CHECK(must_shell("ssh-keygen -F 10.0.0.2 -f " + file).find("ssh-ed25519") != std::string::npos);
  CHECK(must_shell("ssh-keygen -F '[10.0.0.3]:2200' -f " + file).find("ecdsa") !=
        std::string::npos);
  CHECK(must_shell("stat -c %a " + file) == "600\n");
  // Appending after a last line without its newline keeps both lines whole.
  write_file(file, text + "web9 " + keys().line("rsa"));
  REQUIRE(record_known_host(file, "10.0.0.4", 22, keys().key("other")).has_value());
  KnownHosts known = MUST(KnownHosts::load(file));
  CHECK(known.entries().size() == 4);
  CHECK(known.warnings().empty());
}

TEST_CASE("host key check: messages for unknown and changed keys") {
  TempDir dir;
  HostKeyPolicy policy{"web1", "10.0.0.2", 22, "", dir.file("known_hosts"), false};
  PublicKey key = keys().key("ed25519");
  std::string fingerprint = fingerprint_sha256(key.blob);

  Status unknown = verify_host_key(policy, key);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().code() == ErrorCode::kUnauthenticated);
  CHECK(starts_with(unknown.error().message(),
                    "unknown host key for web1 (10.0.0.2:22): ED25519 "
                    "key fingerprint is " +
                        fingerprint + "; "));

  policy.accept_new = true;
  CHECK(verify_host_key(policy, key).has_value());
  policy.accept_new = false;
  CHECK(verify_host_key(policy, key).has_value());  // recorded

  PublicKey other = keys().key("other");
  Status changed = verify_host_key(policy, other);
  REQUIRE_FALSE(changed.has_value());
  std::string message = changed.error().message();
  CHECK(starts_with(message, "HOST KEY CHANGED for web1 (10.0.0.2:22): expected ED25519 " +
                                 fingerprint + " (" + policy.known_hosts_file +
                                 ":1), got ED25519 " + fingerprint_sha256(other.blob) +
                                 " — possible man-in-the-middle"));
  policy.accept_new = true;  // never accepts a change
  CHECK_FALSE(verify_host_key(policy, other).has_value());

  HostKeyPolicy pinned{"web1", "10.0.0.2", 22, keys().line("other"), "", false};
  CHECK(verify_host_key(pinned, other).has_value());
  Status mismatch = verify_host_key(pinned, key);
  REQUIRE_FALSE(mismatch.has_value());
  CHECK(starts_with(mismatch.error().message(), "HOST KEY CHANGED for web1 (10.0.0.2:22)"));
  pinned.pinned_key = "ssh-ed25519 garbage";
  Status bad = verify_host_key(pinned, key);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  CHECK(starts_with(bad.error().message(), "web1: ssh.host_key: "));
}

TEST_CASE("host key check: an RSA-only record is not reported as a changed key") {
  // libssh2 1.10 cannot verify RSA host keys with current OpenSSH servers,
  // which then show their ed25519 or ecdsa key instead.
  HostKeyPolicy pinned{"web1", "10.0.0.2", 22, keys().line("rsa"), "", false};
  Status status = verify_host_key(pinned, keys().key("ed25519"));
  REQUIRE_FALSE(status.has_value());
  CHECK(status.error().code() == ErrorCode::kUnauthenticated);
  CHECK(starts_with(status.error().message(),
                    "the RSA host key pinned in ssh.host_key for web1 (10.0.0.2:22) cannot be "
                    "checked"));
  CHECK(status.error().message().find(fingerprint_sha256(keys().key("ed25519").blob)) !=
        std::string::npos);
}

TEST_CASE("host key check: the known or pinned type is offered first") {
  TempDir dir;
  write_file(dir.file("known_hosts"), "10.0.0.2 " + keys().line("ecdsa") + "\n");
  HostKeyPolicy policy{"web1", "10.0.0.2", 22, "", dir.file("known_hosts"), false};
  CHECK(starts_with(host_key_methods(policy), "ecdsa-sha2-nistp384,ssh-ed25519,"));
  policy.address = "10.0.0.9";
  CHECK(starts_with(host_key_methods(policy), "ssh-ed25519,ecdsa-sha2-nistp256,"));
  policy.pinned_key = keys().line("rsa");
  CHECK(starts_with(host_key_methods(policy), "ssh-rsa,ssh-ed25519,"));
}

TEST_CASE("host key check: the host's entry on its old sshd port vouches for the new port") {
  TempDir dir;
  std::string file = dir.file("known_hosts");
  PublicKey key = keys().key("ed25519");
  REQUIRE(record_known_host(file, "10.0.0.2", 22, key).has_value());
  HostKeyPolicy policy{"web1", "10.0.0.2", 2222, "", file, false};
  CHECK_FALSE(verify_host_key(policy, key).has_value());  // [10.0.0.2]:2222 is unknown
  policy.same_host_ports = {2222, 22};
  CHECK(verify_host_key(policy, key).has_value());
  // Another key on the new port is not vouched for: still unknown, refused.
  Status other = verify_host_key(policy, keys().key("other"));
  REQUIRE_FALSE(other.has_value());
  CHECK(starts_with(other.error().message(), "unknown host key for web1 (10.0.0.2:2222)"));
  // Nothing was written.
  CHECK(MUST(KnownHosts::load(file)).entries().size() == 1);
}
