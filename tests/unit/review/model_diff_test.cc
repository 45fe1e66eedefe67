// The model-level diff: tables of (before, after) repositories and the
// differences expected per host: keys added, removed and changed, roles,
// secrets re-encrypted, hosts added and removed; secret and sensitive
// values never appear in any output.

#include "reconciler/model_diff.h"

#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "desired-state/loader.h"
#include "desired-state/memory_source.h"
#include "reconciler/base/strings.h"

using namespace reconcile;

namespace {

using Files = std::map<std::string, std::string>;

const char* kHash = "$6$rounds=5000$saltsalt$HASHVALUE-MUST-NOT-APPEAR";

Files base_files() {
  return {
      {"reconcile.yaml",
       "secrets:\n  recipients:\n    ops: "
       "age1dn3lj54q9nal0t9htcqgdrr4dmwmak0y6yx25tlqmgkn62649a0qlnlr3k\n"},
      {"roles/base.yaml", "sysctl:\n  vm.swappiness: 10\n"},
      {"roles/web.yaml", "packages: [nginx]\nservices:\n  nginx: { enabled: true }\n"},
      {"files/motd", "hello\n"},
      {"secrets/gateway-token.age", "age-encryption.org/v1\nCIPHERTEXT-ONE\n"},
      {"hosts/web1.yaml",
       "address: 10.0.0.1\nroles: [base, web]\nusers:\n  alice: { shell: /bin/sh, password_hash: "
       "\"" +
           std::string(kHash) +
           "\" }\nfiles:\n  /etc/motd: { source: files/motd }\n"
           "secrets:\n  gateway-token: { mode: \"0400\" }\n"},
      {"hosts/db1.yaml", "address: 10.0.0.2\nroles: [base]\n"},
  };
}

struct Loaded {
  state::MemorySource source;
  state::LoadResult result;
  explicit Loaded(Files files) : source(std::move(files)), result(state::load_repo(source)) {
    for (const auto& d : result.diagnostics.items())
      MESSAGE(d.to_string());
    REQUIRE(result.ok());
  }
};

ModelDiff diff_of(const Files& before, const Files& after) {
  Loaded old_repo(before), new_repo(after);
  return diff_models(old_repo.result.repo, old_repo.source, new_repo.result.repo, new_repo.source);
}

// "web1: ~ users.alice.shell: /bin/sh → /bin/bash" lines, for table checks.
std::vector<std::string> lines_of(const ModelDiff& diff) {
  std::vector<std::string> lines;
  const char* symbols[] = {"+", "-", "~"};
  for (const auto& host : diff.hosts) {
    if (host.action != ModelAction::kChanged) {
      lines.push_back(host.name + ": host " +
                      (host.action == ModelAction::kAdded ? "added" : "removed"));
    }
    for (const auto& change : host.changes)
      lines.push_back(host.name + ": " + symbols[static_cast<int>(change.action)] + " " +
                      change.description);
  }
  for (const auto& change : diff.repository)
    lines.push_back(std::string("repository: ") + symbols[static_cast<int>(change.action)] + " " +
                    change.description);
  return lines;
}

}  // namespace

TEST_CASE("model diff: identical commits do not differ") {
  ModelDiff diff = diff_of(base_files(), base_files());
  CHECK(diff.empty());
  CHECK(render_model_diff_text(diff).find("no differences") != std::string::npos);
}

TEST_CASE("model diff: a table of edits and what each shows") {
  struct Case {
    const char* what;
    std::function<void(Files&)> edit;
    std::vector<std::string> expected;
  };
  std::vector<Case> cases = {
      {"a changed key",
       [](Files& f) {
         auto& web = f["hosts/web1.yaml"];
         web.replace(web.find("/bin/sh"), 7, "/bin/bash");
       },
       {"web1: ~ users.alice.shell: /bin/sh → /bin/bash"}},
      {"an added key",
       [](Files& f) { f["hosts/db1.yaml"] += "sysctl: { net.ipv4.ip_forward: 1 }\n"; },
       {"db1: + sysctl.net.ipv4.ip_forward: 1"}},
      {"a removed key",
       [](Files& f) { f["roles/web.yaml"] = "packages: [nginx]\nservices:\n  nginx: {}\n"; },
       {"web1: - services.nginx.enabled: true"}},
      {"a role added to a host",
       [](Files& f) { f["hosts/db1.yaml"] = "address: 10.0.0.2\nroles: [base, web]\n"; },
       {"db1: + role web added", "db1: + packages.nginx: present",
        "db1: + services.nginx.enabled: true"}},
      {"a role removed from a host",
       [](Files& f) {
         auto& web = f["hosts/web1.yaml"];
         web.replace(web.find("[base, web]"), 11, "[web]");
       },
       {"web1: - role base removed", "web1: - sysctl.vm.swappiness: 10"}},
      {"roles reordered",
       [](Files& f) {
         auto& web = f["hosts/web1.yaml"];
         web.replace(web.find("[base, web]"), 11, "[web, base]");
       },
       {"web1: ~ roles reordered: base, web → web, base"}},
      {"a role file edited shows on every host that uses it",
       [](Files& f) {
         f["roles/base.yaml"] = "sysctl:\n  vm.swappiness: 10\n  kernel.panic: 10\n";
       },
       {"db1: + sysctl.kernel.panic: 10", "web1: + sysctl.kernel.panic: 10"}},
      {"a list in a later role replaces the earlier one",
       [](Files& f) { f["roles/base.yaml"] += "packages: [curl]\n"; },
       {"db1: + packages.curl: present"}},
      {"a secret re-encrypted",
       [](Files& f) { f["secrets/gateway-token.age"] = "age-encryption.org/v1\nCIPHERTEXT-TWO\n"; },
       {"web1: ~ secret gateway-token re-encrypted"}},
      {"a secret's mode",
       [](Files& f) {
         auto& web = f["hosts/web1.yaml"];
         web.replace(web.find("\"0400\""), 6, "\"0440\"");
       },
       {"web1: ~ secrets.gateway-token.mode: 0400 → 0440"}},
      {"a password hash changed",
       [](Files& f) {
         auto& web = f["hosts/web1.yaml"];
         web.replace(web.find("HASHVALUE"), 9, "OTHERHASH");
       },
       {"web1: ~ users.alice.password_hash changed (value not shown)"}},
      {"file content",
       [](Files& f) { f["files/motd"] = "hello\nworld\n"; },
       {"web1: ~ files./etc/motd.content changed (sha256 5891b5b522d5, 1 line → sha256 "
        "4a1e67f2fe1d, 2 lines)"}},
      {"a host added",
       [](Files& f) { f["hosts/app1.yaml"] = "address: 10.0.0.3\nroles: [web]\n"; },
       {"app1: host added"}},
      {"a host removed", [](Files& f) { f.erase("hosts/db1.yaml"); }, {"db1: host removed"}},
      {"a repository setting",
       [](Files& f) {
         f["reconcile.yaml"] =
             "secrets:\n  recipients:\n    ops: "
             "age1dn3lj54q9nal0t9htcqgdrr4dmwmak0y6yx25tlqmgkn62649a0qlnlr3k\n    bob: "
             "age1um4lwd6fnfr7njv33pa5l84fr70vkl6sfdpgrcahyrmlm3htredsu0thrp\n";
       },
       {"repository: + secrets.recipients.bob: "
        "age1um4lwd6fnfr7njv33pa5l84fr70vkl6sfdpgrcahyrmlm3htredsu0thrp"}},
      {"a health check added by a role",
       [](Files& f) { f["roles/web.yaml"] += "health:\n  - tcp: 443\n"; },
       {"web1: + health.1: tcp 127.0.0.1:443 (timeout 10s, retries 3, interval 2s)"}},
      {"a rollout policy",
       [](Files& f) { f["reconcile.yaml"] += "rollout:\n  canary: [web1]\n  batch: 20%\n"; },
       {"repository: + rollout.batch: 20%", "repository: + rollout.canary: web1"}},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    Files after = base_files();
    c.edit(after);
    ModelDiff diff = diff_of(base_files(), after);
    CHECK(join(lines_of(diff), "\n") == join(c.expected, "\n"));
    for (const std::string& text : {render_model_diff_text(diff), render_model_diff_json(diff),
                                    render_model_diff_markdown(diff)}) {
      CHECK(text.find("MUST-NOT-APPEAR") == std::string::npos);
      CHECK(text.find("OTHERHASH") == std::string::npos);
      CHECK(text.find("CIPHERTEXT") == std::string::npos);
    }
  }
}

TEST_CASE("model diff: added and removed hosts carry their roles") {
  Files after = base_files();
  after["hosts/app1.yaml"] = "address: 10.0.0.3\nroles: [base, web]\n";
  ModelDiff diff = diff_of(base_files(), after);
  REQUIRE(diff.hosts.size() == 1);
  CHECK(diff.hosts[0].roles == std::vector<std::string>{"base", "web"});
  CHECK(render_model_diff_text(diff).find("+ app1: host added (roles: base, web)") !=
        std::string::npos);
}

TEST_CASE("model diff: renderers") {
  Files after = base_files();
  auto& web = after["hosts/web1.yaml"];
  web.replace(web.find("/bin/sh"), 7, "/bin/bash");
  after["secrets/gateway-token.age"] = "other";
  ModelDiff diff = diff_of(base_files(), after);
  std::string text = render_model_diff_text(diff);
  CHECK(text.find("web1\n  ~ secret gateway-token re-encrypted\n  ~ users.alice.shell: /bin/sh → "
                  "/bin/bash\n") != std::string::npos);
  CHECK(text.find("1 host changed, 0 added, 0 removed") != std::string::npos);
  auto json = nlohmann::json::parse(render_model_diff_json(diff));
  CHECK(json["kind"] == "model_diff");
  CHECK(json["differs"] == true);
  const auto& changes = json["hosts"][0]["changes"];
  REQUIRE(changes.size() == 2);
  CHECK(changes[0]["key"] == "secrets.gateway-token.ciphertext");
  CHECK(changes[0]["before"].is_null());  // not even the digest of the ciphertext
  CHECK(changes[1]["after"] == "/bin/bash");
  std::string markdown = render_model_diff_markdown(diff);
  CHECK(markdown.find("| web1 | changed | 2 |") != std::string::npos);
  CHECK(markdown.find("<summary><b>web1</b>: 2 differences</summary>") != std::string::npos);
  CHECK(markdown.find("```diff\n~ secret gateway-token re-encrypted\n") != std::string::npos);
}

TEST_CASE("model diff: flat diff of values") {
  FlatModel before = {{"a", {"1", ValueKind::kPlain}}, {"b", {"x", ValueKind::kSensitive}}};
  FlatModel after = {{"a", {"2", ValueKind::kPlain}}, {"c", {"y", ValueKind::kSensitive}}};
  auto changes = diff_flat(before, after);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].description == "a: 1 → 2");
  CHECK(changes[1].description == "b removed");
  CHECK(changes[2].description == "c set (value not shown)");
}
