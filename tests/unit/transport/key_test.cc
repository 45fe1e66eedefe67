// Private key files and ssh-agent identities. Signatures are checked by
// OpenSSH itself: each is wrapped in the SSHSIG format of `ssh-keygen -Y`
// and verified with `ssh-keygen -Y check-novalidate`.

#include <doctest/doctest.h>
#include <signal.h>

#include "reconciler/base/strings.h"
#include "reconciler/transport/ssh_agent.h"
#include "reconciler/transport/ssh_crypto.h"
#include "reconciler/transport/ssh_key_file.h"
#include "reconciler/transport/ssh_wire.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::transport;
using namespace reconcile::transport::testing;

namespace {

constexpr std::string_view kNamespace = "reconcile-test";

// What `ssh-keygen -Y sign -O hashalg=sha256` signs for `message`.
std::string sshsig_signed_data(std::string_view message) {
  WireWriter writer;
  writer.raw("SSHSIG");
  writer.string(kNamespace);
  writer.string("");
  writer.string("sha256");
  writer.string(sha256(message));
  return writer.release();
}

// Verifies a bare signature made by `identity` with ssh-keygen.
bool openssh_accepts(TempDir& dir, const Identity& identity, std::string_view message,
                     const std::string& signature) {
  WireWriter blob;
  blob.string(signature_algorithm(identity.public_key()));
  blob.string(signature);
  WireWriter sig;
  sig.raw("SSHSIG");
  sig.u32(1);
  sig.string(identity.public_key().blob);
  sig.string(kNamespace);
  sig.string("");
  sig.string("sha256");
  sig.string(blob.data());
  std::string encoded = base64_encode(sig.data());
  std::string armored = "-----BEGIN SSH SIGNATURE-----\n";
  for (size_t i = 0; i < encoded.size(); i += 70)
    armored += encoded.substr(i, 70) + "\n";
  armored += "-----END SSH SIGNATURE-----\n";
  write_file(dir.file("message"), std::string(message));
  write_file(dir.file("message.sig"), armored);
  return shell("ssh-keygen -Y check-novalidate -n " + std::string(kNamespace) + " -s " +
               dir.file("message.sig") + " < " + dir.file("message") + " >/dev/null 2>&1")
             .status == 0;
}

// ssh-agent on a socket in a temp dir, killed at the end of the test.
class Agent {
 public:
  Agent() {
    m_socket = m_dir.file("agent.sock");
    std::string said = must_shell("ssh-agent -s -a " + m_socket);
    size_t at = said.find("SSH_AGENT_PID=");
    REQUIRE(at != std::string::npos);
    m_pid = std::stoi(said.substr(at + 14));
  }
  ~Agent() { kill(m_pid, SIGTERM); }
  void add(const std::string& file) {
    must_shell("SSH_AUTH_SOCK=" + m_socket + " ssh-add -q " + file + " 2>&1");
  }
  const std::string& socket() const { return m_socket; }

 private:
  TempDir m_dir;
  std::string m_socket;
  int m_pid = 0;
};

}  // namespace

TEST_CASE("key files: ed25519, ecdsa and rsa load and sign as OpenSSH verifies") {
  TempDir dir;
  asio::io_context io;
  for (const char* type : {"ed25519", "ecdsa", "ecdsa -b 384", "ecdsa -b 521", "rsa -b 2048"}) {
    CAPTURE(type);
    std::string path = dir.file("key");
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".pub");
    make_key(path, type);
    auto file = load_key_file(path);
    REQUIRE_MESSAGE(file.has_value(), file.error().message());
    CHECK_FALSE(file->encrypted);
    REQUIRE(file->identity != nullptr);
    CHECK(file->public_key == MUST(parse_public_key(read_file(path + ".pub"))));
    std::string message = "message to sign";
    auto signature = run_sync(io, file->identity->sign(sshsig_signed_data(message),
                                                       Clock::now() + std::chrono::seconds(5)));
    REQUIRE(signature.has_value());
    CHECK(openssh_accepts(dir, *file->identity, message, *signature));
    CHECK_FALSE(openssh_accepts(dir, *file->identity, "another message", *signature));
  }
}

TEST_CASE("key files: RSA signs with rsa-sha2-512") {
  TempDir dir;
  make_key(dir.file("rsa"), "rsa -b 2048");
  auto file = MUST(load_key_file(dir.file("rsa")));
  CHECK(signature_algorithm(file.public_key) == "rsa-sha2-512");
  // PKCS#1 v1.5 is deterministic, so ssh-keygen's own signature must be
  // byte for byte the same as ours.
  write_file(dir.file("message"), "hello");
  must_shell("ssh-keygen -q -Y sign -O hashalg=sha256 -n " + std::string(kNamespace) + " -f " +
             dir.file("rsa") + " " + dir.file("message"));
  std::string armored = read_file(dir.file("message.sig"));
  std::string encoded;
  for (const std::string& line : split(armored, '\n')) {
    if (!line.empty() && line[0] != '-') encoded += line;
  }
  std::string blob = *base64_decode(encoded);
  WireReader reader(std::string_view(blob).substr(6 + 4));
  reader.string();  // public key
  reader.string();  // namespace
  reader.string();  // reserved
  reader.string();  // hash algorithm
  WireReader signature(*reader.string());
  CHECK(signature.string() == "rsa-sha2-512");
  asio::io_context io;
  auto ours = run_sync(io, file.identity->sign(sshsig_signed_data("hello"), Clock::now()));
  REQUIRE(ours.has_value());
  CHECK(signature.string() == *ours);
}

TEST_CASE("key files: an encrypted key is reported with its public key, never decrypted") {
  TempDir dir;
  make_key(dir.file("locked"), "ed25519", "secret passphrase");
  auto file = load_key_file(dir.file("locked"));
  REQUIRE(file.has_value());
  CHECK(file->encrypted);
  CHECK(file->identity == nullptr);
  CHECK(file->public_key == MUST(parse_public_key(read_file(dir.file("locked.pub")))));
}

TEST_CASE("key files: clear errors for missing, PEM and garbage files") {
  TempDir dir;
  auto missing = load_key_file(dir.file("nope"));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code() == ErrorCode::kNotFound);

  make_key(dir.file("pem"), "rsa -b 2048 -m PEM");
  auto pem = load_key_file(dir.file("pem"));
  REQUIRE_FALSE(pem.has_value());
  CHECK(pem.error().message().find("not in OpenSSH format (a PEM key); convert it with ssh-keygen "
                                   "-p -f") != std::string::npos);

  write_file(dir.file("junk"),
             "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
             "-----END OPENSSH PRIVATE KEY-----\n");
  auto junk = load_key_file(dir.file("junk"));
  REQUIRE_FALSE(junk.has_value());
  CHECK(junk.error().code() == ErrorCode::kInvalidArgument);

  // Every truncation of a real key is an error, never a crash.
  make_key(dir.file("real"), "ecdsa");
  std::string text = read_file(dir.file("real"));
  std::string body;
  for (const std::string& line : split(text, '\n')) {
    if (!line.empty() && line[0] != '-') body += line;
  }
  std::string decoded = *base64_decode(body);
  for (size_t length = 0; length < decoded.size(); length += 7) {
    std::string cut = "-----BEGIN OPENSSH PRIVATE KEY-----\n" +
                      base64_encode(decoded.substr(0, length)) +
                      "\n-----END OPENSSH PRIVATE KEY-----\n";
    CHECK_FALSE(parse_key_file(cut, "cut").has_value());
  }
}

TEST_CASE("agent: lists keys and signs as OpenSSH verifies, RSA with rsa-sha2-512") {
  TempDir dir;
  Agent agent;
  make_key(dir.file("ed25519"), "ed25519");
  make_key(dir.file("ecdsa"), "ecdsa");
  make_key(dir.file("rsa"), "rsa -b 2048");
  for (const char* name : {"ed25519", "ecdsa", "rsa"})
    agent.add(dir.file(name));
  asio::io_context io;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  auto identities = run_sync(io, agent_identities(agent.socket(), deadline));
  REQUIRE_MESSAGE(identities.has_value(), identities.error().message());
  REQUIRE(identities->size() == 3);
  for (const auto& identity : *identities) {
    CAPTURE(identity->describe());
    CHECK(identity->describe().find("(agent: ") != std::string::npos);
    auto signature = run_sync(io, identity->sign(sshsig_signed_data("from agent"), deadline));
    REQUIRE_MESSAGE(signature.has_value(), signature.error().message());
    CHECK(openssh_accepts(dir, *identity, "from agent", *signature));
  }
}

TEST_CASE("agent: an unreachable socket is kUnavailable") {
  asio::io_context io;
  auto identities = run_sync(io, agent_identities("/nonexistent/agent.sock", Clock::now()));
  REQUIRE_FALSE(identities.has_value());
  CHECK(identities.error().code() == ErrorCode::kUnavailable);
}
