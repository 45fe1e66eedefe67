// SSH signatures and commit trust, against signatures made at test time by
// the real tools: `git commit -S` with gpg.format=ssh and `ssh-keygen -Y
// sign`, with keys from `ssh-keygen`. Where it helps, `git verify-commit` is
// asked too, so the verdicts are checked against git's own.

#include "reconciler/daemon/sshsig.h"

#include <doctest/doctest.h>

#include "reconciler/daemon/allowed_signers.h"
#include "reconciler/daemon/commit_trust.h"
#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;

namespace {

AllowedSigners signers_for(const std::string& text) {
  auto parsed = AllowedSigners::parse(text, "allowed_signers");
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().message());
  return std::move(*parsed);
}

// Signs `content` with ssh-keygen in `name_space`; returns the armored signature.
std::string ssh_keygen_sign(const SignedRepo& repo, const std::string& content,
                            const std::string& name_space, const std::string& extra = "") {
  repo.dir().write("payload", content);
  std::string payload = repo.dir() / "payload";
  shell("rm -f " + payload + ".sig");
  REQUIRE(shell("ssh-keygen -Y sign -q -f " + repo.key("alice") + " -n " + name_space + " " +
                extra + " " + payload) == 0);
  return repo.dir().read("payload.sig");
}

bool git_verifies(const SignedRepo& repo, const std::string& allowed, const std::string& commit) {
  repo.dir().write("git_allowed", allowed);
  return shell(repo.git() + " -c gpg.ssh.allowedSignersFile=" + (repo.dir() / "git_allowed") +
               " verify-commit " + commit) == 0;
}

}  // namespace

TEST_CASE("a commit signed with git commit -S by an allowed signer is trusted") {
  SignedRepo repo;
  repo.write("hosts/web1.yaml", "address: 10.0.0.1\n");
  std::string commit = repo.commit("first", "alice");
  std::string allowed = "alice@example.org " + repo.public_key("alice") + "\n";
  auto check = check_commit(repo.work(), commit, signers_for(allowed));
  REQUIRE(check.has_value());
  CHECK(check->problem == "");
  CHECK(check->signer == "alice@example.org");
  CHECK(check->summary == "first");
  CHECK(git_verifies(repo, allowed, commit));
}

TEST_CASE("a commit whose message was changed after signing is refused") {
  SignedRepo repo;
  std::string signed_commit = repo.commit("deploy v1", "alice");
  // The same object, gpgsig header and all, with one word of the message
  // changed: the signature no longer covers the bytes.
  std::string forged =
      trimmed(shell_output("git -C " + repo.work() + " cat-file commit " + signed_commit +
                           " | sed 's/deploy v1/deploy v2/' | git -C " + repo.work() +
                           " hash-object -t commit -w --stdin"));
  REQUIRE(forged.size() == 40);
  std::string allowed = "alice@example.org " + repo.public_key("alice") + "\n";
  auto check = check_commit(repo.work(), forged, signers_for(allowed));
  REQUIRE(check.has_value());
  CHECK(check->problem == "signature does not match the signed data");
  CHECK_FALSE(git_verifies(repo, allowed, forged));
}

TEST_CASE("a commit signed by a key that is not an allowed signer is refused") {
  SignedRepo repo;
  std::string commit = repo.commit("sneaky", "mallory");
  std::string allowed = "alice@example.org " + repo.public_key("alice") + "\n";
  auto check = check_commit(repo.work(), commit, signers_for(allowed));
  REQUIRE(check.has_value());
  CHECK(check->problem.find("is not an allowed signer") != std::string::npos);
  CHECK(check->problem.find("SHA256:") != std::string::npos);
  CHECK_FALSE(git_verifies(repo, allowed, commit));
}

TEST_CASE("an unsigned commit is refused") {
  SignedRepo repo;
  std::string commit = repo.commit("unsigned");
  auto check = check_commit(repo.work(), commit,
                            signers_for("alice@example.org " + repo.public_key("alice") + "\n"));
  REQUIRE(check.has_value());
  CHECK(check->problem == "commit is not signed");
}

TEST_CASE("allowed-signers options: namespaces and validity are enforced") {
  SignedRepo repo;
  std::string commit = repo.commit("first", "alice");
  std::string key = repo.public_key("alice");
  auto only_file = check_commit(repo.work(), commit,
                                signers_for("alice@example.org namespaces=\"file\" " + key + "\n"));
  REQUIRE(only_file.has_value());
  CHECK(only_file->problem.find("not allowed to sign in namespace 'git'") != std::string::npos);
  auto expired = check_commit(repo.work(), commit,
                              signers_for("alice@example.org valid-before=\"20000101Z\" " + key));
  REQUIRE(expired.has_value());
  CHECK(expired->problem.find("expired") != std::string::npos);
  auto future = check_commit(repo.work(), commit,
                             signers_for("alice@example.org valid-after=\"29991231Z\" " + key));
  REQUIRE(future.has_value());
  CHECK(future->problem.find("not yet valid") != std::string::npos);
  auto fine = check_commit(
      repo.work(), commit,
      signers_for("alice@example.org,\"Alice Example\" namespaces=\"git,file\",valid-after="
                  "\"20000101Z\" " +
                  key + " a comment\n"));
  REQUIRE(fine.has_value());
  CHECK(fine->problem == "");
  CHECK(fine->signer == "alice@example.org,Alice Example");
}

TEST_CASE("every commit of a range is checked, and the first untrusted one is named") {
  SignedRepo repo;
  std::string base = repo.commit("base", "alice");
  repo.write("a", "1");
  std::string middle = repo.commit("unsigned in the middle");
  repo.write("a", "2");
  std::string tip = repo.commit("signed tip", "alice");
  auto signers = signers_for("alice@example.org " + repo.public_key("alice") + "\n");

  auto range = check_commit_range(repo.work(), base, tip, signers);
  REQUIRE(range.has_value());
  CHECK(range->commits.size() == 2);  // base itself is not re-checked
  REQUIRE(range->first_problem() != nullptr);
  CHECK(range->first_problem()->commit == middle);
  CHECK(range->first_problem()->problem == "commit is not signed");

  // With nothing applied yet, only the tip is checked.
  auto first = check_commit_range(repo.work(), "", tip, signers);
  REQUIRE(first.has_value());
  CHECK(first->commits.size() == 1);
  CHECK(first->first_problem() == nullptr);

  // A base the repository does not have: only the tip, flagged.
  auto missing = check_commit_range(repo.work(), std::string(40, 'a'), tip, signers);
  REQUIRE(missing.has_value());
  CHECK(missing->base_missing);
  CHECK(missing->commits.size() == 1);
}

TEST_CASE("SSHSIG made by ssh-keygen -Y sign: namespace, tampering, hash algorithms") {
  SignedRepo repo;
  std::string content = "tree 0000\n\nsome message\n";
  auto signature = parse_ssh_signature(ssh_keygen_sign(repo, content, "git"));
  REQUIRE(signature.has_value());
  CHECK(signature->name_space == "git");
  CHECK(signature->hash_algorithm == "sha512");
  CHECK(signature->key.type == "ssh-ed25519");
  CHECK(verify_ssh_signature(*signature, content, "git").has_value());

  auto tampered = verify_ssh_signature(*signature, content + " ", "git");
  REQUIRE_FALSE(tampered.has_value());
  CHECK(tampered.error().code() == ErrorCode::kUnauthenticated);

  auto file_signature = parse_ssh_signature(ssh_keygen_sign(repo, content, "file"));
  REQUIRE(file_signature.has_value());
  auto wrong_namespace = verify_ssh_signature(*file_signature, content, "git");
  REQUIRE_FALSE(wrong_namespace.has_value());
  CHECK(wrong_namespace.error().message() == "signature is for namespace 'file', not 'git'");
  // Relabelling the namespace does not help: it is part of the signed data.
  SshSignature relabelled = *file_signature;
  relabelled.name_space = "git";
  CHECK_FALSE(verify_ssh_signature(relabelled, content, "git").has_value());

  auto sha256 = parse_ssh_signature(ssh_keygen_sign(repo, content, "git", "-O hashalg=sha256"));
  REQUIRE(sha256.has_value());
  CHECK(sha256->hash_algorithm == "sha256");
  CHECK(verify_ssh_signature(*sha256, content, "git").has_value());
}

TEST_CASE("malformed signatures are errors, not crashes") {
  CHECK_FALSE(parse_ssh_signature("").has_value());
  CHECK_FALSE(parse_ssh_signature("-----BEGIN SSH SIGNATURE-----\n!!!\n-----END SSH SIGNATURE-----")
                  .has_value());
  CHECK_FALSE(
      parse_ssh_signature("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----")
          .has_value());
  CHECK_FALSE(parse_ssh_signature("-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----")
                  .has_value());
}

TEST_CASE("allowed signers: errors name the line and column") {
  auto check_error = [](const std::string& text, const std::string& expected) {
    auto parsed = AllowedSigners::parse(text, "signers");
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message().find(expected) != std::string::npos);
  };
  std::string key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIwY3vUAwpvWg6O6h9k3s+IW8G2kWsVmLI2on1YS2+sG";
  check_error("# comment\n\nalice\n", "signers:3:1: expected: principals");
  check_error("alice bogus=1 " + key, "signers:1:7: unknown option 'bogus'");
  check_error("alice valid-after=\"2024\" " + key, "signers:1:7: bad time");
  check_error("alice ssh-ed25519 !!!", "signers:1:7:");
  check_error("\"alice " + key, "unterminated double quote");
  auto parsed =
      AllowedSigners::parse("# c\n  alice@x cert-authority " + key + "\nbob@x " + key, "signers");
  REQUIRE(parsed.has_value());
  REQUIRE(parsed->signers().size() == 2);
  CHECK(parsed->signers()[0].cert_authority);
  CHECK(parsed->signers()[0].line == 2);
  CHECK(parsed->signers()[1].principals == std::vector<std::string>{"bob@x"});
  CHECK(parse_signer_time("20240102Z") == 1704153600);
  CHECK(parse_signer_time("202401021030Z") == 1704191400);
  CHECK_FALSE(parse_signer_time("20241302").has_value());
  CHECK_FALSE(parse_signer_time("2024010").has_value());
}
