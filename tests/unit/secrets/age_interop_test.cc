// Interoperability with the reference `age` and `age-keygen` commands
// (Debian's package, the Go implementation): files made by one side must
// decrypt on the other, for X25519, ssh-ed25519 and scrypt, binary and
// armored, at sizes around the 64 KiB chunk boundary and at 10 MiB.
//
// age reads passphrases only from a terminal, so the scrypt cases run it
// under a pseudo-terminal (forkpty) and type the passphrase at its prompt:
// both directions are tested for real.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sodium.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "secrets/age.h"
#include "secrets/commands.h"
#include "secrets/keys.h"
#include "secrets/output_file.h"
#include "secrets/scrypt.h"
#include "tests/unit/secrets/vector_file.h"

namespace reconcile::secrets {
namespace {

namespace fs = std::filesystem;

const std::vector<size_t> kSizes = {0, 1, 65535, 65536, 65537, 10 * 1024 * 1024};
const char* kPassphrase = "correct-horse-battery";

// Prints one line per verified transfer, for the test log.
void report(const char* key_type, const char* direction, bool armor, size_t size) {
  std::printf("interop %-11s %-11s %-6s %8zu bytes: ok\n", key_type, direction,
              armor ? "armor" : "binary", size);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "age-interop-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    m_dir = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }
  std::string path(const std::string& name) const { return (m_dir / name).string(); }

 private:
  fs::path m_dir;
};

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr, or the terminal transcript
};

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> result;
  for (std::string& arg : argv)
    result.push_back(arg.data());
  result.push_back(nullptr);
  return result;
}

int exit_code_of(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs a command with stdin from /dev/null and its output captured.
Run run(std::vector<std::string> argv, const TempDir& dir) {
  std::string log = dir.path(".log");
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(in, 0);
    dup2(out, 1);
    dup2(out, 2);
    execvp(argv[0].c_str(), c_argv(argv).data());
    _exit(127);
  }
  Run result;
  result.exit_code = exit_code_of(pid);
  result.output = testing::read_whole_file(log);
  return result;
}

// Runs a command on a new pseudo-terminal and answers every passphrase
// prompt it shows with kPassphrase. Gives up after two minutes.
Run run_with_terminal(std::vector<std::string> argv) {
  int master = -1;
  pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execvp(argv[0].c_str(), c_argv(argv).data());
    _exit(127);
  }
  Run result;
  size_t answered = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd fd{master, POLLIN, 0};
    if (poll(&fd, 1, 500) <= 0) continue;
    char buffer[4096];
    ssize_t count = read(master, buffer, sizeof buffer);
    if (count <= 0) break;  // EIO: the command closed the terminal
    result.output.append(buffer, static_cast<size_t>(count));
    size_t prompt = result.output.find("passphrase", answered);
    size_t colon = prompt == std::string::npos ? prompt : result.output.find(": ", prompt);
    if (colon != std::string::npos) {
      std::string answer = std::string(kPassphrase) + "\n";
      REQUIRE(write(master, answer.data(), answer.size()) == static_cast<ssize_t>(answer.size()));
      answered = colon + 2;
    }
  }
  if (std::chrono::steady_clock::now() >= deadline) kill(pid, SIGKILL);
  result.exit_code = exit_code_of(pid);
  close(master);
  return result;
}

void write_file(const std::string& path, std::string_view content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string random_bytes(size_t size) {
  std::string data(size, '\0');
  randombytes_buf(data.data(), size);
  return data;
}

// age opens its -o file at the first byte it writes, so an empty
// plaintext leaves no file at all: read that as empty.
std::string read_output(const std::string& path) {
  if (!fs::exists(path)) return "";
  return testing::read_whole_file(path);
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

CommandStreams quiet_streams(const TempDir& dir) {
  int null = open("/dev/null", O_RDWR);
  int err = open(dir.path(".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  return {null, null, err};
}

void close_streams(const CommandStreams& streams) {
  close(streams.in);
  close(streams.err);
}

std::vector<std::string> age_encrypt_args(std::vector<std::string> args, bool armor) {
  std::vector<std::string> argv = {"age", "-e"};
  if (armor) argv.push_back("-a");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// One key, as each side names it.
struct KeyPair {
  std::string our_recipient;          // for our -r
  std::vector<std::string> age_args;  // the same recipient for age: -r … or -R FILE
  std::string identity_file;          // for both sides' -i
};

void check_both_directions(const char* key_type, const KeyPair& keys, const TempDir& dir) {
  for (bool armor : {false, true}) {
    for (size_t size : kSizes) {
      CAPTURE(armor);
      CAPTURE(size);
      std::string plaintext = random_bytes(size);
      write_file(dir.path("plain"), plaintext);

      // Ours to age.
      CommandStreams streams = quiet_streams(dir);
      int code = run_encrypt(
          {{keys.our_recipient}, {}, armor, dir.path("ours.age"), dir.path("plain")}, streams);
      close_streams(streams);
      REQUIRE(code == 0);
      fs::remove(dir.path("by-age"));
      Run age = run(
          {"age", "-d", "-i", keys.identity_file, "-o", dir.path("by-age"), dir.path("ours.age")},
          dir);
      CAPTURE(age.output);
      REQUIRE(age.exit_code == 0);
      CHECK(read_output(dir.path("by-age")) == plaintext);
      report(key_type, "ours->age", armor, size);

      // age to ours.
      std::vector<std::string> args = keys.age_args;
      args.insert(args.end(), {"-o", dir.path("theirs.age"), dir.path("plain")});
      Run encrypted = run(age_encrypt_args(args, armor), dir);
      CAPTURE(encrypted.output);
      REQUIRE(encrypted.exit_code == 0);
      streams = quiet_streams(dir);
      code =
          run_decrypt({{keys.identity_file}, dir.path("by-us"), dir.path("theirs.age")}, streams);
      close_streams(streams);
      std::string error = testing::read_whole_file(dir.path(".err"));
      CAPTURE(error);
      REQUIRE(code == 0);
      CHECK(testing::read_whole_file(dir.path("by-us")) == plaintext);
      report(key_type, "age->ours", armor, size);
    }
  }
}

TEST_CASE("X25519 keys from either side are understood by the other") {
  TempDir dir;
  // age-keygen's identity, read by us; our identity, read by age.
  REQUIRE(run({"age-keygen", "-o", dir.path("age-id.txt")}, dir).exit_code == 0);
  Run converted = run({"age-keygen", "-y", dir.path("age-id.txt")}, dir);
  REQUIRE(converted.exit_code == 0);
  IdentityList identities =
      MUST(parse_identity_file(MUST(read_small_file(dir.path("age-id.txt"), 4096)), "age-id.txt"));
  REQUIRE(identities.size() == 1);
  std::string age_recipient = first_line(converted.output);

  CommandStreams streams = quiet_streams(dir);
  REQUIRE(run_keygen({dir.path("our-id.txt")}, streams) == 0);
  close_streams(streams);
  Run ours_converted = run({"age-keygen", "-y", dir.path("our-id.txt")}, dir);
  REQUIRE(ours_converted.exit_code == 0);
  std::string our_recipient = first_line(ours_converted.output);
  std::string our_file = testing::read_whole_file(dir.path("our-id.txt"));
  CHECK(our_file.find("# public key: " + our_recipient + "\n") != std::string::npos);

  check_both_directions("X25519", {our_recipient, {"-r", our_recipient}, dir.path("our-id.txt")},
                        dir);
  check_both_directions("X25519", {age_recipient, {"-r", age_recipient}, dir.path("age-id.txt")},
                        dir);
}

TEST_CASE("ssh-ed25519 keys made by ssh-keygen work both ways") {
  TempDir dir;
  std::string key = dir.path("id_ed25519");
  Run keygen =
      run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "interop", "-f", key}, dir);
  CAPTURE(keygen.output);
  REQUIRE(keygen.exit_code == 0);
  std::string public_line = first_line(testing::read_whole_file(key + ".pub"));
  check_both_directions("ssh-ed25519", {public_line, {"-R", key + ".pub"}, key}, dir);
}

TEST_CASE("scrypt passphrase files work both ways (age driven through a terminal)") {
  TempDir dir;
  for (bool armor : {false, true}) {
    for (size_t size : kSizes) {
      CAPTURE(armor);
      CAPTURE(size);
      std::string plaintext = random_bytes(size);
      write_file(dir.path("plain"), plaintext);

      // Ours to age, at age's default work factor.
      ScryptRecipient recipient(SecureBuffer(kPassphrase, std::strlen(kPassphrase)));
      const Recipient* recipients[] = {&recipient};
      {
        MemoryReader in(plaintext);
        StringWriter out;
        REQUIRE(encrypt(recipients, in, out, armor).has_value());
        write_file(dir.path("ours.age"), out.data());
      }
      fs::remove(dir.path("by-age"));
      Run age = run_with_terminal({"age", "-d", "-o", dir.path("by-age"), dir.path("ours.age")});
      CAPTURE(age.output);
      REQUIRE(age.exit_code == 0);
      CHECK(read_output(dir.path("by-age")) == plaintext);
      report("scrypt", "ours->age", armor, size);

      // age to ours.
      Run encrypted = run_with_terminal(
          age_encrypt_args({"-p", "-o", dir.path("theirs.age"), dir.path("plain")}, armor));
      CAPTURE(encrypted.output);
      REQUIRE(encrypted.exit_code == 0);
      std::string file = testing::read_whole_file(dir.path("theirs.age"));
      CHECK(file.starts_with(armor ? "-----BEGIN AGE ENCRYPTED FILE-----" : "age-encryption"));
      ScryptIdentity identity(SecureBuffer(kPassphrase, std::strlen(kPassphrase)));
      const Identity* identities[] = {&identity};
      MemoryReader in(file);
      SecureBuffer decrypted;
      SecureBufferWriter out(decrypted);
      Status status = decrypt(identities, in, out);
      std::string error = status ? "" : status.error().message();
      CAPTURE(error);
      REQUIRE(status.has_value());
      CHECK(decrypted.view() == plaintext);
      report("scrypt", "age->ours", armor, size);
    }
  }
}

}  // namespace
}  // namespace reconcile::secrets
