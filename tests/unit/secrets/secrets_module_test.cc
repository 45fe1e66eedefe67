// The secrets module: the probe against a real sh (its HMAC must equal
// libsodium's), the parser on canned output, the diff table from desired
// state and facts to changes, and plan output that never shows plaintext.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/plan_output.h"
#include "secrets/store.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

namespace fs = std::filesystem;

const char* kToken = "hunter2-token-value";
const char* kHash = "$y$j9T$abcdefgh$0123456789abcdef0123456789abcdef0123456";

secrets::SecureBuffer buffer(std::string_view text) {
  return secrets::SecureBuffer(text.data(), text.size());
}

// The host used by most cases: a normal secret with a restart, an early one.
state::Host sample_host() {
  return host_from_yaml(
      "secrets:\n"
      "  token: { owner: app, group: web, mode: '0440', restart: [nginx] }\n"
      "  hash: { needed_for_users: true }\n",
      {{"secrets/token.age", "x"}, {"secrets/hash.age", "x"}});
}

secrets::SecretStore sample_store() {
  secrets::SecretStore store;
  store.add("secrets/token.age", buffer(kToken));
  store.add("secrets/hash.age", buffer(kHash));
  return store;
}

SecretsFacts mounted() {
  SecretsFacts facts;
  facts.directory = "directory";
  facts.fstype = "tmpfs";
  facts.mount_point = true;
  facts.owner = "root";
  facts.group = "root";
  facts.mode = 0751;
  return facts;
}

SecretFileFacts file(const std::string& host, std::string_view content, const std::string& owner,
                     const std::string& group, uint32_t mode) {
  return {"file", owner, group, mode, secret_digest(host, buffer(content))};
}

// Facts of a host where everything is delivered as declared.
HostFacts in_sync(const state::Host& host) {
  HostFacts facts;
  facts.secrets = mounted();
  facts.secrets.files["token"] = file(host.name, kToken, "app", "web", 0440);
  facts.secrets.files["hash"] = file(host.name, kHash, "root", "root", 0400);
  return facts;
}

std::vector<Change> diff(const state::Host& host, const HostFacts& facts,
                         const secrets::SecretStore* store, std::vector<std::string>* refusals) {
  std::vector<Change> changes;
  diff_secrets({host, facts, refusals, store}, changes);
  return changes;
}

// Runs `script` with /bin/sh and returns its stdout.
std::string run_sh(const std::string& script) {
  fs::path file = fs::temp_directory_path() / ("secrets-probe-" + std::to_string(getpid()));
  std::ofstream(file) << script;
  std::string output;
  FILE* pipe = popen(("/bin/sh " + file.string()).c_str(), "r");
  REQUIRE(pipe != nullptr);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, pipe)) > 0)
    output.append(chunk, n);
  CHECK(pclose(pipe) == 0);
  fs::remove(file);
  return output;
}

}  // namespace

TEST_CASE("secrets probe: a real sh reports entries with libsodium's HMAC, names in hex") {
  std::string dir = (fs::temp_directory_path() / "secrets-probe-dir-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  std::string all_bytes;
  for (int i = 0; i < 256; ++i)
    all_bytes += static_cast<char>(i);
  std::ofstream(dir + "/token", std::ios::binary) << kToken;
  std::ofstream(dir + "/.hidden", std::ios::binary) << all_bytes;
  std::ofstream(dir + "/odd name\n'$(x)", std::ios::binary) << "";
  fs::create_directory(dir + "/sub");
  fs::create_symlink("/etc/passwd", dir + "/link");
  fs::permissions(dir + "/token", fs::perms(0440));

  std::string output = run_sh(script_preamble() + secrets_probe_script("web1", dir));
  fs::remove_all(dir);
  CHECK(output.find(kToken) == std::string::npos);
  Sections sections{{"secrets", SectionOutput{output, 0}}};
  state::Host host = host_from_yaml("secrets: {}\n");
  HostFacts facts;
  REQUIRE(parse_secrets(sections, host, facts));
  const SecretsFacts& secrets = facts.secrets;
  CHECK(secrets.directory == "directory");
  CHECK_FALSE(secrets.mount_point);
  CHECK(secrets.mode == 0700);
  REQUIRE(secrets.files.size() == 5);
  CHECK(secrets.files.at("token").digest == secret_digest("web1", buffer(kToken)));
  CHECK(secrets.files.at("token").mode == 0440);
  CHECK(secrets.files.at(".hidden").digest == secret_digest("web1", buffer(all_bytes)));
  CHECK(secrets.files.at("odd name\n'$(x)").digest == secret_digest("web1", buffer("")));
  CHECK(secrets.files.at("sub").type == "dir");
  CHECK(secrets.files.at("link").type == "link");
  // Keyed per host: the same content gives another digest elsewhere, and
  // never the plain SHA-256.
  CHECK(secret_digest("web2", buffer(kToken)) != secret_digest("web1", buffer(kToken)));
  CHECK(secret_digest("web1", buffer(kToken)) != sha256_hex(kToken));
}

TEST_CASE("secrets parse: directory states and hostile lines") {
  state::Host host = host_from_yaml("secrets: {}\n");
  HostFacts facts;
  auto parse = [&](const std::string& text) {
    return parse_secrets({{"secrets", SectionOutput{text, 0}}}, host, facts);
  };
  REQUIRE(parse("dir missing\n"));
  CHECK(facts.secrets.directory == "missing");
  REQUIRE(parse("dir other\n"));
  CHECK(facts.secrets.directory == "other");
  std::string digest(64, 'a');
  REQUIRE(
      parse("dir directory tmpfs yes root root 751\nfile 6162 file app web 400 " + digest + "\n"));
  CHECK(facts.secrets.mount_point);
  CHECK(facts.secrets.files.at("ab").owner == "app");
  CHECK(facts.secrets.files.at("ab").digest == digest);
  for (const char* bad : {"", "dir directory tmpfs\n", "file 2e2e dir root root 700\n",
                          "dir missing\nfile 2f dir root root 700\n",
                          "dir missing\nfile zz file root root 400 " /* no digest */,
                          "dir missing\nfile 61 file root root 400 short\n", "hello\n"}) {
    CHECK_MESSAGE(!parse(bad), bad);
  }
  CHECK_FALSE(parse_secrets({{"secrets", SectionOutput{"dir missing\n", 1}}}, host, facts));
}

TEST_CASE("secrets diff: a fresh host gets the tmpfs, the early secret, then the secret") {
  state::Host host = sample_host();
  secrets::SecretStore store = sample_store();
  HostFacts facts;
  facts.secrets.directory = "missing";
  std::vector<std::string> refusals;
  auto changes = diff(host, facts, &store, &refusals);
  CHECK(refusals.empty());
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{"+ tmpfs /run/secrets", "+ secret token", "+ secret hash"});
  const Change& mount = changes[0];
  CHECK(mount.phase == Phase::kEarlySecrets);
  CHECK(mount.key == "secrets:tmpfs");
  CHECK(mount.script.find("mount -t tmpfs -o mode=0751,nosuid,nodev,noexec tmpfs") !=
        std::string::npos);
  const Change& token = changes[1];
  CHECK(token.phase == Phase::kSecrets);
  CHECK(token.key == "secret:token");
  CHECK(token.sensitive);
  CHECK(token.input.empty());
  CHECK(token.secret_input == store.find("secrets/token.age")->plaintext);
  CHECK(token.requires_keys == std::vector<std::string>{"secrets:tmpfs", "user:app", "group:web"});
  // Owner, group and mode are set on the temporary file before any byte.
  size_t chown = token.script.find("chown -- 'app':'web' \"$tmp\"");
  size_t chmod = token.script.find("chmod -- 440 \"$tmp\"");
  size_t cat = token.script.find("cat > \"$tmp\"");
  size_t rename = token.script.find("mv -f -- \"$tmp\" \"$target\"");
  CHECK(token.script.find("target='/run/secrets/token'") < chown);
  CHECK(chown < chmod);
  CHECK(chmod < cat);
  CHECK(cat < rename);
  CHECK(rename != std::string::npos);
  CHECK(token.script.find("is not a tmpfs of its own; refusing") < chown);
  CHECK(token.script.find(kToken) == std::string::npos);
  const FieldChange* content = find_field(token, "content");
  REQUIRE(content != nullptr);
  CHECK(content->sensitive);
  const Change& hash = changes[2];
  CHECK(hash.phase == Phase::kEarlySecrets);
  CHECK(hash.requires_keys == std::vector<std::string>{"secrets:tmpfs"});
}

TEST_CASE("secrets diff: nothing to do when everything is delivered") {
  state::Host host = sample_host();
  secrets::SecretStore store = sample_store();
  CHECK(diff(host, in_sync(host), &store, nullptr).empty());
}

TEST_CASE("secrets diff: drift (changed, attributes, missing, extra, directory mode)") {
  state::Host host = sample_host();
  secrets::SecretStore store = sample_store();
  HostFacts facts = in_sync(host);
  facts.secrets.mode = 0755;
  facts.secrets.files["token"] = file(host.name, "old value", "app", "web", 0440);
  facts.secrets.files["hash"].mode = 0644;
  facts.secrets.files["stale"] = file(host.name, "gone", "root", "root", 0400);
  facts.secrets.files[".reconcile.Ab12Cd"] = file(host.name, "half", "root", "root", 0600);
  facts.secrets.files["dir"] = SecretFileFacts{"dir", "root", "root", 0700, ""};
  auto changes = diff(host, facts, &store, nullptr);
  CHECK(summarize(changes) ==
        std::vector<std::string>{"~ tmpfs /run/secrets", "~ secret token", "~ secret hash",
                                 "- secret .reconcile.Ab12Cd", "- secret dir", "- secret stale"});
  CHECK(changes[0].reason == "mode is 755, want 751");
  CHECK(changes[1].reason == "content differs");
  CHECK(changes[1].secret_input != nullptr);
  CHECK(changes[2].reason == "mode is 644, want 400");
  CHECK(changes[2].secret_input == nullptr);  // attributes only: no secret crosses the wire
  CHECK(changes[2].script == "chmod -- 400 '/run/secrets/hash'\n");
  CHECK(changes[3].script == "rm -rf -- '/run/secrets/.reconcile.Ab12Cd'\n");
  CHECK(changes[5].reason == "not declared for this host");
  CHECK(changes[5].phase == Phase::kSecrets);
  CHECK_FALSE(changes[5].destructive);
  const FieldChange* content = find_field(changes[5], "content");
  REQUIRE(content != nullptr);
  CHECK(content->sensitive);

  facts = in_sync(host);
  facts.secrets.files.erase("token");
  facts.secrets.files["hash"] = SecretFileFacts{"dir", "root", "root", 0700, ""};
  changes = diff(host, facts, &store, nullptr);
  CHECK(summarize(changes) == std::vector<std::string>{"+ secret token", "~ secret hash"});
  CHECK(changes[1].reason == "is a dir, want a file");
  CHECK(changes[1].script.find("rm -rf -- '/run/secrets/hash'") <
        changes[1].script.find("cat > \"$tmp\""));
}

TEST_CASE("secrets diff: a folder that is not a tmpfs of its own is cleared, then mounted") {
  state::Host host = sample_host();
  secrets::SecretStore store = sample_store();
  HostFacts facts = in_sync(host);
  facts.secrets.mount_point = false;  // a folder of /run
  auto changes = diff(host, facts, &store, nullptr);
  CHECK(summarize(changes) == std::vector<std::string>{"- secret hash", "- secret token",
                                                       "~ tmpfs /run/secrets", "+ secret token",
                                                       "+ secret hash"});
  CHECK(changes[0].phase == Phase::kEarlySecrets);
  CHECK(changes[2].reason == "/run/secrets is not a tmpfs of its own (it is a folder on tmpfs)");
}

TEST_CASE("secrets diff: a secrets section without secrets empties /run/secrets") {
  state::Host host = host_from_yaml("secrets: {}\n");
  HostFacts facts;
  facts.secrets = mounted();
  facts.secrets.files["old"] = file(host.name, "x", "root", "root", 0400);
  auto changes = diff(host, facts, nullptr, nullptr);
  CHECK(summarize(changes) == std::vector<std::string>{"- secret old"});
  facts.secrets = SecretsFacts{};
  facts.secrets.directory = "missing";
  CHECK(diff(host, facts, nullptr, nullptr).empty());  // no tmpfs for nothing

  // Without a secrets section, /run/secrets is none of reconcile's business.
  state::Host other = host_from_yaml("packages: [curl]\n");
  CHECK(probe_secrets(other).empty());
  facts.secrets = mounted();
  facts.secrets.files["docker"] = file(other.name, "x", "root", "root", 0400);
  CHECK(diff(other, facts, nullptr, nullptr).empty());
}

TEST_CASE("secrets diff: refusals") {
  state::Host host = sample_host();
  HostFacts facts;
  facts.secrets.directory = "missing";
  std::vector<std::string> refusals;
  CHECK(diff(host, facts, nullptr, &refusals).empty());
  REQUIRE(refusals.size() == 2);
  CHECK(refusals[0] ==
        "secret token: secrets/token.age was not decrypted (no controller identity)");

  secrets::SecretStore store;
  store.add("secrets/token.age", buffer(kToken));
  store.add("secrets/hash.age",
            unauthenticated("no identity matched any of the file's recipients"));
  refusals.clear();
  CHECK(diff(host, facts, &store, &refusals).empty());
  CHECK(refusals == std::vector<std::string>{
                        "secret hash: cannot decrypt secrets/hash.age with the controller's "
                        "identity: no identity matched any of the file's recipients"});

  state::Host early = host_from_yaml("secrets:\n  hash: { needed_for_users: true, owner: app }\n",
                                     {{"secrets/hash.age", "x"}});
  refusals.clear();
  store = sample_store();
  CHECK(diff(early, facts, &store, &refusals).empty());
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].find("must be owned by root:root (it says app:root)") != std::string::npos);

  facts.secrets.directory = "other";
  refusals.clear();
  store = sample_store();
  CHECK(diff(host, facts, &store, &refusals).empty());
  CHECK(refusals ==
        std::vector<std::string>{"/run/secrets exists and is not a directory; remove it by hand"});
}

TEST_CASE("secrets in the whole plan: before users, restarts, and no plaintext in any output") {
  state::Host host = host_from_yaml(
      "users:\n  bob: { password_hash_secret: hash }\n"
      "services:\n  nginx: { running: true }\n"
      "secrets:\n"
      "  token: { mode: '0400', restart: [nginx] }\n"
      "  hash: { needed_for_users: true }\n",
      {{"secrets/token.age", "x"}, {"secrets/hash.age", "x"}});
  secrets::SecretStore store = sample_store();
  HostFacts facts;
  facts.users["bob"] = std::nullopt;
  facts.services["nginx"].active_state = "active";
  facts.services["nginx"].load_state = "loaded";
  facts.secrets.directory = "missing";
  std::vector<std::string> refusals;
  auto plan = diff_host({host, facts, &refusals, &store});
  CHECK(refusals.empty());
  CHECK(summarize(plan) == std::vector<std::string>{"+ tmpfs /run/secrets", "+ secret hash",
                                                    "+ user bob", "+ secret token",
                                                    "~ restart nginx"});
  CHECK(plan[2].requires_keys.back() == "secret:hash");
  CHECK(plan[4].triggered_by == std::vector<std::string>{"secret:token"});

  HostReport report;
  report.name = "web1";
  report.plan = plan;
  report.status = HostStatus::kChangesPending;
  std::string text = render_text({report}, {false, false});
  std::string json = render_json({report}, "test", "", false).dump();
  for (const std::string& output : {text, json}) {
    CHECK(output.find(kToken) == std::string::npos);
    CHECK(output.find(kHash) == std::string::npos);
    CHECK(output.find("hunter2") == std::string::npos);
  }
  CHECK(text.find("content: (sensitive) -> (sensitive)") != std::string::npos);
}
