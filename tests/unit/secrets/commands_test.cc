// The keygen, encrypt and decrypt commands on real files in a temporary
// directory: outputs, modes, refusals, and that a failure leaves nothing.

#include "secrets/commands.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/unit/secrets/vector_file.h"

namespace reconcile::secrets {
namespace {

namespace fs = std::filesystem;

// A temporary directory with files for stdin, stdout and stderr; removed
// with everything in it when the test ends, also on failure.
class Sandbox {
 public:
  Sandbox() {
    std::string pattern = (fs::temp_directory_path() / "secrets-commands-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    m_dir = pattern;
  }
  ~Sandbox() {
    close_streams();
    std::error_code ignored;
    fs::remove_all(m_dir, ignored);
  }

  std::string path(const std::string& name) const { return (m_dir / name).string(); }

  void write(const std::string& name, std::string_view content) const {
    std::ofstream(path(name), std::ios::binary) << content;
  }
  std::string read(const std::string& name) const { return testing::read_whole_file(path(name)); }

  // Fresh streams: stdin reads `input`, stdout and stderr go to files.
  CommandStreams streams(std::string_view input = "") {
    close_streams();
    write(".stdin", input);
    m_streams.in = open(path(".stdin").c_str(), O_RDONLY);
    m_streams.out = open(path(".stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    m_streams.err = open(path(".stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    return m_streams;
  }
  std::string out() const { return read(".stdout"); }
  std::string err() const { return read(".stderr"); }

  // The names in the directory other than the stream files.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(m_dir)) {
      std::string name = entry.path().filename();
      if (!name.starts_with(".std")) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  void close_streams() {
    for (int fd : {m_streams.in, m_streams.out, m_streams.err}) {
      if (fd > 2) close(fd);
    }
    m_streams = CommandStreams{-1, -1, -1};
  }

  fs::path m_dir;
  CommandStreams m_streams{-1, -1, -1};
};

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// Runs keygen -o NAME and returns the recipient it prints.
std::string keygen(Sandbox& box, const std::string& name) {
  REQUIRE(run_keygen({box.path(name)}, box.streams()) == 0);
  std::string recipient = box.out();
  REQUIRE(recipient.ends_with("\n"));
  recipient.pop_back();
  return recipient;
}

TEST_CASE("keygen writes an identity file with mode 0600 and prints its recipient") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  CHECK(recipient.starts_with("age1"));
  CHECK(mode_of(box.path("id.txt")) == 0600);
  std::string identity = box.read("id.txt");
  CHECK(identity.find("# public key: " + recipient + "\n") != std::string::npos);
  CHECK(identity.find("\nAGE-SECRET-KEY-1") != std::string::npos);
}

TEST_CASE("keygen never overwrites an existing file") {
  Sandbox box;
  box.write("id.txt", "precious");
  CHECK(run_keygen({box.path("id.txt")}, box.streams()) == 1);
  CHECK(box.read("id.txt") == "precious");
  CHECK(box.err() == "error: " + box.path("id.txt") + " already exists; not overwriting it\n");
  CHECK(box.out().empty());
  CHECK(box.entries() == std::vector<std::string>{"id.txt"});
}

TEST_CASE("keygen without -o writes the identity file to standard output") {
  Sandbox box;
  REQUIRE(run_keygen({}, box.streams()) == 0);
  CHECK(box.out().starts_with("# created: "));
  CHECK(box.out().find("\nAGE-SECRET-KEY-1") != std::string::npos);
}

TEST_CASE("encrypt and decrypt round-trip through files, binary and armored") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  box.write("recipients.txt", "# ops\n" + recipient + "\n");
  box.write("plain.txt", "database password\n");
  for (bool armor : {false, true}) {
    CAPTURE(armor);
    EncryptOptions encrypt{
        {}, {box.path("recipients.txt")}, armor, box.path("secret.age"), box.path("plain.txt")};
    REQUIRE(run_encrypt(encrypt, box.streams()) == 0);
    CHECK(box.read("secret.age").starts_with(armor ? "-----BEGIN AGE" : "age-encryption"));
    DecryptOptions decrypt{{box.path("id.txt")}, box.path("out.txt"), box.path("secret.age")};
    REQUIRE(run_decrypt(decrypt, box.streams()) == 0);
    CHECK(box.read("out.txt") == "database password\n");
    CHECK(mode_of(box.path("out.txt")) == 0600);
  }
}

TEST_CASE("encrypt reads standard input and decrypt writes standard output") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  REQUIRE(run_encrypt({{recipient}, {}, true, "", ""}, box.streams("from stdin")) == 0);
  std::string armored = box.out();
  CHECK(armored.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
  REQUIRE(run_decrypt({{box.path("id.txt")}, "-", "-"}, box.streams(armored)) == 0);
  CHECK(box.out() == "from stdin");
}

TEST_CASE("a failed decryption leaves no output file behind") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  std::string plaintext(200000, 'x');
  box.write("plain", plaintext);
  REQUIRE(run_encrypt({{recipient}, {}, false, box.path("file.age"), box.path("plain")},
                      box.streams()) == 0);
  // Damage the last chunk: the first chunks verify and are written before
  // the failure is found.
  std::string damaged = box.read("file.age");
  damaged[damaged.size() - 3] ^= 1;
  box.write("file.age", damaged);
  CHECK(run_decrypt({{box.path("id.txt")}, box.path("out"), box.path("file.age")}, box.streams()) ==
        1);
  CHECK(box.err() == "error: payload chunk 3 failed authentication\n");
  CHECK(box.entries() == std::vector<std::string>{"file.age", "id.txt", "plain"});
}

TEST_CASE("decrypt with the wrong identity fails with exit code 1 and a clear message") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  keygen(box, "other.txt");
  REQUIRE(run_encrypt({{recipient}, {}, false, box.path("f.age"), ""}, box.streams("x")) == 0);
  CHECK(run_decrypt({{box.path("other.txt")}, "", box.path("f.age")}, box.streams()) == 1);
  CHECK(box.err() == "error: no identity matched any of the file's recipients\n");
}

TEST_CASE("argument errors are reported before anything is read or written") {
  Sandbox box;
  CHECK(run_encrypt({}, box.streams()) == 1);
  CHECK(box.err() == "error: encrypt needs at least one recipient: -r RECIPIENT or -R FILE\n");
  CHECK(run_decrypt({}, box.streams()) == 1);
  CHECK(box.err() == "error: decrypt needs at least one identity file: -i FILE\n");
  CHECK(run_encrypt({{"age1nope"}, {}, false, "", ""}, box.streams()) == 1);
  CHECK(box.err().starts_with("error: -r age1nope: invalid age recipient"));
  std::string secret = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
  CHECK(run_encrypt({{secret}, {}, false, "", ""}, box.streams()) == 1);
  CHECK(box.err() == "error: -r AGE-…: this is an identity (secret key), not a recipient\n");
  CHECK(run_decrypt({{box.path("missing.txt")}, "", ""}, box.streams()) == 1);
  CHECK(box.err().starts_with("error: opening " + box.path("missing.txt") + ": "));
  box.write("same", "x");
  CHECK_FALSE(validate_decrypt_options({{"id"}, box.path("same"), box.path("same")}).has_value());
}

TEST_CASE("binary ciphertext is not written to a terminal") {
  Sandbox box;
  std::string recipient = keygen(box, "id.txt");
  int master = -1, terminal = -1;
  REQUIRE(openpty(&master, &terminal, nullptr, nullptr, nullptr) == 0);
  CommandStreams streams = box.streams("x");
  streams.out = terminal;
  CHECK(run_encrypt({{recipient}, {}, false, "", ""}, streams) == 1);
  CHECK(box.err() == "error: refusing to write binary ciphertext to a terminal (use -a or -o)\n");
  close(master);
  close(terminal);
}

}  // namespace
}  // namespace reconcile::secrets
