// `secrets edit` and `secrets rekey` on a repository in a temporary
// directory, with fake editors (shell scripts) that write, fail, leave the
// file alone, or get reconcile killed. After every test the tmpfs scratch
// area must be empty again: the plaintext never outlives the command.

#include "secrets/edit.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "secrets/keys.h"
#include "secrets/scratch.h"
#include "secrets/secret_file.h"
#include "secrets/x25519.h"

namespace reconcile::secrets {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_file(const fs::path& path, std::string_view content, fs::perms mode = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
  fs::permissions(path, mode);
}

struct Key {
  X25519Identity identity = X25519Identity::generate();
  std::string file;
  ResolvedRecipient as(const std::string& name) const {
    return {name, identity.recipient().to_string(), {"all recipients"}};
  }
};

// A repository (on the ordinary disk), a scratch tmpfs area, two keys and a
// place for the fake editors' notes. Removed when the test ends.
class Workspace {
 public:
  Workspace() {
    std::string disk = (fs::temp_directory_path() / "secrets-edit-XXXXXX").string();
    REQUIRE(mkdtemp(disk.data()) != nullptr);
    m_root = disk;
    std::string shm = "/dev/shm/secrets-edit-test-XXXXXX";
    REQUIRE(mkdtemp(shm.data()) != nullptr);
    m_scratch = shm;
    fs::create_directories(repo() / "secrets");
    for (Key* key : {&alice, &other}) {
      key->file = (m_root / (key == &alice ? "alice.txt" : "other.txt")).string();
      write_file(key->file, format_identity_file(key->identity).view(), fs::perms(0600));
    }
    m_err = open((m_root / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  }
  ~Workspace() {
    close(m_err);
    std::error_code ignored;
    fs::remove_all(m_root, ignored);
    fs::remove_all(m_scratch, ignored);
  }

  fs::path repo() const { return m_root / "repo"; }
  fs::path secret(const std::string& name) const { return repo() / "secrets" / (name + ".age"); }
  std::string note(const std::string& name) const { return read_file(m_root / name); }
  std::string err() const { return read_file(m_root / "stderr"); }
  CommandStreams streams() const { return {0, 1, m_err}; }

  // A fake editor: a script whose body sees the file as "$1" and this
  // workspace's notes directory as $NOTES.
  std::string editor(const std::string& body) const {
    fs::path script = m_root / ("editor-" + std::to_string(m_editors++));
    write_file(script,
               "#!/bin/sh\nNOTES=" + m_root.string() +
                   "\necho \"$1\" > \"$NOTES/path\"\n"
                   "stat -c '%a %U' \"$1\" > \"$NOTES/file-mode\"\n"
                   "stat -c '%a' \"$(dirname \"$1\")\" > \"$NOTES/dir-mode\"\n"
                   "stat -f -c %T \"$1\" > \"$NOTES/fstype\"\n" +
                   body + "\n",
               fs::perms(0755));
    return script.string();
  }

  EditOptions options(const std::string& name, const std::string& editor_command) const {
    EditOptions options;
    options.repo = repo().string();
    options.name = name;
    options.identity_files = {alice.file};
    options.recipients = {alice.as("alice")};
    options.editor = editor_command;
    options.scratch_candidates = {m_scratch.string()};
    return options;
  }

  // Encrypts `plaintext` to `key` into secrets/NAME.age.
  void make_secret(const std::string& name, std::string_view plaintext, const Key& key,
                   bool armor) const {
    RecipientList recipients;
    recipients.push_back(std::make_unique<X25519Recipient>(key.identity.recipient()));
    SecureBuffer buffer(plaintext.data(), plaintext.size());
    REQUIRE(write_secret_file(secret(name).string(), buffer, recipients, armor));
  }

  // The plaintext of secrets/NAME.age for `key`, or "(does not decrypt)".
  std::string plaintext(const std::string& name, const Key& key) const {
    IdentityList identities = MUST(read_identity_files({key.file}));
    auto decrypted = decrypt_to_buffer(read_file(secret(name)), identities);
    return decrypted ? std::string(decrypted->view()) : "(does not decrypt)";
  }

  // True when nothing is left in the scratch area and the file the editor
  // saw is gone.
  bool scratch_is_clean() const {
    bool editor_file_gone = note("path").empty() || !fs::exists(trimmed(note("path")));
    return fs::is_empty(m_scratch) && editor_file_gone;
  }

  static std::string trimmed(std::string text) {
    while (!text.empty() && text.back() == '\n')
      text.pop_back();
    return text;
  }

  Key alice;
  Key other;

 private:
  fs::path m_root;
  fs::path m_scratch;
  int m_err = -1;
  mutable int m_editors = 0;
};

}  // namespace

TEST_CASE("edit: a new secret is created from what the editor wrote") {
  Workspace w;
  int code =
      run_edit(w.options("db-password", w.editor("printf 's3cret\\n' > \"$1\"")), w.streams());
  CHECK(code == 0);
  CHECK(w.plaintext("db-password", w.alice) == "s3cret\n");
  CHECK(looks_armored(read_file(w.secret("db-password"))));  // new files are armored
  CHECK(w.err().find("created, encrypted to 1 recipient (alice)") != std::string::npos);
  // The editor saw a 0600 file in a 0700 directory on a tmpfs.
  CHECK(w.note("file-mode").rfind("600 ", 0) == 0);
  CHECK(w.note("dir-mode") == "700\n");
  CHECK(w.note("fstype") == "tmpfs\n");
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: a changed secret is re-encrypted to the declared recipients, format kept") {
  Workspace w;
  w.make_secret("token", "old", w.other, false);
  EditOptions options =
      w.options("token", w.editor("grep -q '^old$' \"$1\" && printf new > \"$1\""));
  options.identity_files = {w.other.file};
  options.recipients = {w.alice.as("alice"), w.other.as("other")};
  CHECK(run_edit(options, w.streams()) == 0);
  CHECK(w.plaintext("token", w.alice) == "new");
  CHECK(w.plaintext("token", w.other) == "new");
  CHECK_FALSE(looks_armored(read_file(w.secret("token"))));  // binary stays binary
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: unchanged content leaves the file untouched") {
  Workspace w;
  w.make_secret("token", "same", w.alice, true);
  std::string before = read_file(w.secret("token"));
  CHECK(run_edit(w.options("token", w.editor("true")), w.streams()) == 0);
  CHECK(read_file(w.secret("token")) == before);  // age output is randomized: any rewrite differs
  CHECK(w.err().find("unchanged") != std::string::npos);
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: a failing editor changes nothing and removes the plaintext") {
  Workspace w;
  w.make_secret("token", "keep", w.alice, true);
  std::string before = read_file(w.secret("token"));
  std::string editor = w.editor("printf changed > \"$1\"; touch \"$1.swp\" \"$1~\"; exit 3");
  CHECK(run_edit(w.options("token", editor), w.streams()) == 1);
  CHECK(read_file(w.secret("token")) == before);
  CHECK(w.err().find("the editor exited with status 3") != std::string::npos);
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: SIGTERM while the editor runs stops it, changes nothing, wipes the plaintext") {
  Workspace w;
  w.make_secret("token", "keep", w.alice, true);
  std::string before = read_file(w.secret("token"));
  setenv("RECONCILE_TEST_PID", std::to_string(getpid()).c_str(), 1);
  std::string editor = w.editor(
      "printf changed > \"$1\"; touch \"$1.swp\"\n"
      "kill -TERM \"$RECONCILE_TEST_PID\"\n"
      "i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done\n"
      "echo survived > \"$NOTES/survived\"");
  CHECK(run_edit(w.options("token", editor), w.streams()) == 1);
  unsetenv("RECONCILE_TEST_PID");
  CHECK(read_file(w.secret("token")) == before);
  CHECK(w.err().find("interrupted by TERM") != std::string::npos);
  CHECK(w.note("survived").empty());  // the editor was stopped too
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: refusals") {
  Workspace w;
  SUBCASE("no tmpfs to put the plaintext on") {
    EditOptions options = w.options("x", w.editor("printf v > \"$1\""));
    options.scratch_candidates = {w.repo().string()};
    CHECK(run_edit(options, w.streams()) == 1);
    CHECK(w.err().find("no tmpfs to hold the plaintext") != std::string::npos);
    CHECK(w.note("path").empty());  // the editor never ran
    CHECK_FALSE(fs::exists(w.secret("x")));
  }
  SUBCASE("a new secret left empty is not created") {
    CHECK(run_edit(w.options("x", w.editor("true")), w.streams()) == 1);
    CHECK_FALSE(fs::exists(w.secret("x")));
  }
  SUBCASE("an existing secret that the identity cannot decrypt") {
    w.make_secret("x", "v", w.other, true);
    CHECK(run_edit(w.options("x", w.editor("true")), w.streams()) == 1);
    CHECK(w.err().find("no identity matched") != std::string::npos);
    CHECK(w.note("path").empty());
  }
  SUBCASE("no recipients declared") {
    EditOptions options = w.options("x", w.editor("true"));
    options.recipients.clear();
    CHECK(run_edit(options, w.streams()) == 1);
    CHECK(w.err().find("no recipients") != std::string::npos);
  }
  SUBCASE("a name that would leave secrets/") {
    CHECK(run_edit(w.options("../x", w.editor("true")), w.streams()) == 1);
    CHECK(w.note("path").empty());
  }
  CHECK(w.scratch_is_clean());
}

TEST_CASE("edit: a secret in a folder of secrets/") {
  Workspace w;
  CHECK(run_edit(w.options("app/key", w.editor("printf k > \"$1\"")), w.streams()) == 0);
  CHECK(w.plaintext("app/key", w.alice) == "k");
  CHECK(MUST(list_secret_files(w.repo().string())) == std::vector<std::string>{"app/key"});
}

TEST_CASE("rekey: re-encrypts what decrypts, reports and keeps what does not") {
  Workspace w;
  w.make_secret("a", "alpha", w.alice, true);
  w.make_secret("b", "beta", w.alice, false);
  w.make_secret("foreign", "gamma", w.other, true);
  std::string foreign_before = read_file(w.secret("foreign"));
  std::vector<RekeyItem> items;
  for (const char* name : {"a", "b", "foreign"})
    items.push_back({name, {w.alice.as("alice"), w.other.as("other")}});
  CHECK(run_rekey(w.repo().string(), items, {w.alice.file}, w.streams()) == 1);
  // Now readable by the added recipient too; formats kept.
  CHECK(w.plaintext("a", w.other) == "alpha");
  CHECK(w.plaintext("b", w.other) == "beta");
  CHECK(w.plaintext("a", w.alice) == "alpha");
  CHECK(looks_armored(read_file(w.secret("a"))));
  CHECK_FALSE(looks_armored(read_file(w.secret("b"))));
  CHECK(read_file(w.secret("foreign")) == foreign_before);
  CHECK(w.err().find("secrets/foreign.age: cannot decrypt") != std::string::npos);
  CHECK(w.err().find("2 of 3 secret(s) re-encrypted; not re-encrypted: secrets/foreign.age") !=
        std::string::npos);
  // No temporary file is left next to the secrets.
  CHECK(MUST(list_secret_files(w.repo().string())) ==
        std::vector<std::string>{"a", "b", "foreign"});
  size_t entries = std::distance(fs::directory_iterator(w.repo() / "secrets"), {});
  CHECK(entries == 3);
}

TEST_CASE("rekey: removing a recipient takes its access away") {
  Workspace w;
  w.make_secret("a", "alpha", w.alice, true);
  CHECK(run_rekey(w.repo().string(), {{"a", {w.alice.as("alice"), w.other.as("other")}}},
                  {w.alice.file}, w.streams()) == 0);
  CHECK(w.plaintext("a", w.other) == "alpha");
  CHECK(run_rekey(w.repo().string(), {{"a", {w.alice.as("alice")}}}, {w.alice.file}, w.streams()) ==
        0);
  CHECK(w.plaintext("a", w.other) == "(does not decrypt)");
  CHECK(w.plaintext("a", w.alice) == "alpha");
}

TEST_CASE("scratch: only a tmpfs is accepted, and the directory wipes itself") {
  CHECK(is_tmpfs("/dev/shm"));
  std::string path;
  {
    ScratchDirectory scratch = MUST(ScratchDirectory::create({"/nonexistent", "/dev/shm"}));
    path = scratch.path();
    SecureBuffer content("abc", 3);
    std::string file = MUST(scratch.write_file("f", content));
    CHECK(read_file(file) == "abc");
    CHECK((fs::status(path).permissions() & fs::perms::all) == fs::perms::owner_all);
    CHECK((fs::status(file).permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
  }
  CHECK_FALSE(fs::exists(path));
}

}  // namespace reconcile::secrets
