// Saved plans: JSON round trip, format version checks, the HMAC (tampering,
// another key), age checks, and that no secret byte is ever written.

#include "reconciler/saved_plan.h"

#include <doctest/doctest.h>

#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using nlohmann::json;

namespace {

state::SecretDelivery gateway_token() {
  state::SecretDelivery secret;
  secret.name = "gateway-token";
  secret.source = "secrets/gateway-token.age";
  return secret;
}

constexpr int64_t kMadeAt = 1714564800;  // 2024-05-01T12:00:00Z
const char* kSecretBytes = "hunter2-SECRET-PLAINTEXT";
const char* kSensitiveScript = "printf 'SENSITIVE-SCRIPT'";
const char* kSensitiveInput = "SENSITIVE-INPUT";

state::Repo sample_repo() {
  state::Repo repo;
  repo.origin = "commit 0123456789ab of /srv/infra";
  repo.commit = "0123456789abcdef0123456789abcdef01234567";
  return repo;
}

// The sample host's dry run, plus a change that streams a secret, a
// sensitive one and one with binary input; and an unreachable host.
struct Sample {
  state::Host web = sample_host();
  state::Host down = host_from_yaml("address: 192.0.2.9\n");
  std::vector<HostReport> reports;

  Sample() {
    web.name = "web1";
    web.address = "203.0.113.11";
    web.secrets.push_back(gateway_token());
    down.name = "old1";
    HostReport report = dry_run_report(web, sample_facts());
    modules::Change secret;
    secret.module = "secrets";
    secret.resource = "secret gateway-token";
    secret.key = "secret:gateway-token";
    secret.action = modules::Action::kCreate;
    secret.phase = modules::Phase::kSecrets;
    secret.script = "cat > /run/secrets/gateway-token\n";
    secret.secret_input =
        std::make_shared<secrets::SecureBuffer>(kSecretBytes, std::strlen(kSecretBytes));
    modules::Change sensitive;
    sensitive.module = "users";
    sensitive.resource = "password of alice";
    sensitive.key = "password:alice";
    sensitive.sensitive = true;
    sensitive.script = kSensitiveScript;
    sensitive.input = kSensitiveInput;
    sensitive.fields = {modules::FieldChange{"password", "$6$old", "$6$new", true}};
    modules::Change binary;
    binary.module = "files";
    binary.resource = "file /srv/blob";
    binary.key = "file:/srv/blob";
    binary.script = "cat > /srv/blob\n";
    binary.input = std::string("\xff\xfe\x00\x01 not utf-8", 15);
    report.plan.push_back(secret);
    report.plan.push_back(sensitive);
    report.plan.push_back(binary);
    HostReport unreachable;
    unreachable.name = "old1";
    unreachable.address = "192.0.2.9";
    unreachable.status = HostStatus::kUnreachable;
    unreachable.error = "connect to 192.0.2.9:22 timed out after 15 s";
    reports = {report, unreachable};
  }

  SavedPlan plan(const PlanKey& key) const {
    return MUST(make_saved_plan(sample_repo(), "f00dfeed", {&web, &down}, reports, key, kMadeAt));
  }
};

// Signs an edited document the way write_saved_plan does, so that the
// checks after the signature can be reached.
std::string sign(json document, const PlanKey& key) {
  document.erase("hmac");
  document["hmac"] = key.mac(document.dump());
  return document.dump(2);
}

}  // namespace

TEST_CASE("saved plan: write, read, identical") {
  PlanKey key = test_key();
  Sample sample;
  SavedPlan plan = sample.plan(key);
  std::string text = write_saved_plan(plan, key);
  auto read = read_saved_plan(text, "plan.json", key);
  REQUIRE_MESSAGE(read.has_value(), read.error().message());
  CHECK(saved_plan_json(*read) == saved_plan_json(plan));
  CHECK(write_saved_plan(*read, key) == text);
  CHECK(read->created_at == "2024-05-01T12:00:00Z");
  CHECK(read->commit == "0123456789abcdef0123456789abcdef01234567");
  CHECK(read->repo_identity == "f00dfeed");
  REQUIRE(read->hosts.size() == 2);
  const SavedHost& web = read->hosts[0];
  CHECK(web.planned);
  CHECK(web.facts_hash.size() == 64);
  CHECK(web.facts.count("file /etc/app/conf1.ini") == 1);
  // The file change keeps its script and input byte for byte; binary input too.
  bool found_file = false, found_blob = false;
  for (size_t i = 0; i < web.changes.size(); ++i) {
    const auto& change = web.changes[i].change;
    if (change.resource == "file /etc/app/conf1.ini") {
      found_file = true;
      CHECK(change.input == "a=1\n");
      CHECK(change.script == sample.reports[0].plan[i].script);
      CHECK(change.requires_keys == sample.reports[0].plan[i].requires_keys);
    }
    if (change.resource == "file /srv/blob") {
      found_blob = true;
      CHECK(change.input == std::string("\xff\xfe\x00\x01 not utf-8", 15));
    }
  }
  CHECK(found_file);
  CHECK(found_blob);
  CHECK(json::parse(text)["hosts"][0]["changes"].back()["input"].contains("base64"));
  const SavedHost& old = read->hosts[1];
  CHECK_FALSE(old.planned);
  CHECK(old.status == "unreachable");
  CHECK(old.error.find("timed out") != std::string::npos);
}

TEST_CASE("saved plan: secret bytes are withheld, referenced and digested") {
  PlanKey key = test_key();
  Sample sample;
  std::string text = write_saved_plan(sample.plan(key), key);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("SENSITIVE-SCRIPT") == std::string::npos);
  CHECK(text.find("SENSITIVE-INPUT") == std::string::npos);
  CHECK(text.find("$6$") == std::string::npos);  // sensitive field values
  auto read = MUST(read_saved_plan(text, "plan.json", key));
  const SavedChange* secret = nullptr;
  const SavedChange* sensitive = nullptr;
  for (const auto& change : read.hosts[0].changes) {
    if (change.change.key == "secret:gateway-token") secret = &change;
    if (change.change.key == "password:alice") sensitive = &change;
  }
  REQUIRE(secret != nullptr);
  REQUIRE(secret->secret.has_value());
  CHECK(secret->secret->name == "gateway-token");
  CHECK(secret->secret->source == "secrets/gateway-token.age");
  CHECK(secret->secret->digest == key.secret_digest(kSecretBytes));
  CHECK(secret->change.secret_input == nullptr);
  REQUIRE(sensitive != nullptr);
  CHECK(sensitive->change.script.empty());
  CHECK(sensitive->withheld_script == key.secret_digest(kSensitiveScript));
  CHECK(sensitive->withheld_input == key.secret_digest(kSensitiveInput));
  // A keyed digest: another key gives another digest of the same secret.
  CHECK(test_key('x').secret_digest(kSecretBytes) != secret->secret->digest);
}

TEST_CASE("saved plan: a modified plan is refused") {
  PlanKey key = test_key();
  std::string text = write_saved_plan(Sample().plan(key), key);
  SUBCASE("a script edited by hand") {
    std::string edited = text;
    size_t at = edited.find("\"script\": \"") + 11;
    edited.insert(at, "rm -rf / ; ");
    auto read = read_saved_plan(edited, "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().code() == ErrorCode::kDataLoss);
    CHECK(read.error().message().find("plan.json was modified after it was made") !=
          std::string::npos);
  }
  SUBCASE("a change removed") {
    json document = json::parse(text);
    document["hosts"][0]["changes"].erase(0);
    auto read = read_saved_plan(document.dump(2), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().code() == ErrorCode::kDataLoss);
  }
  SUBCASE("the facts hash replaced") {
    json document = json::parse(text);
    document["hosts"][0]["facts_hash"] = std::string(64, '0');
    CHECK_FALSE(read_saved_plan(document.dump(), "plan.json", key).has_value());
  }
  SUBCASE("the hmac removed") {
    json document = json::parse(text);
    document.erase("hmac");
    auto read = read_saved_plan(document.dump(), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().code() == ErrorCode::kDataLoss);
  }
  SUBCASE("the hmac is not hex") {
    json document = json::parse(text);
    document["hmac"] = "zz";
    CHECK_FALSE(read_saved_plan(document.dump(), "plan.json", key).has_value());
  }
  SUBCASE("whitespace alone is not a modification") {
    auto read = read_saved_plan(json::parse(text).dump(), "plan.json", key);
    CHECK(read.has_value());
  }
}

TEST_CASE("saved plan: a plan signed with another key says so") {
  std::string text = write_saved_plan(Sample().plan(test_key('a')), test_key('a'));
  auto read = read_saved_plan(text, "plan.json", test_key('b'));
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().code() == ErrorCode::kPermissionDenied);
  CHECK(read.error().message().find("signed with another plan key") != std::string::npos);
}

TEST_CASE("saved plan: format version and kind") {
  PlanKey key = test_key();
  json document = json::parse(write_saved_plan(Sample().plan(key), key));
  SUBCASE("a newer version asks for a newer reconcile") {
    document["format_version"] = 2;
    auto read = read_saved_plan(sign(document, key), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().code() == ErrorCode::kFailedPrecondition);
    CHECK(read.error().message().find("newer reconcile (format version 2") != std::string::npos);
  }
  SUBCASE("an unknown older version") {
    document["format_version"] = 0;
    auto read = read_saved_plan(sign(document, key), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().message().find("unknown format version 0") != std::string::npos);
  }
  SUBCASE("a version that is not a number") {
    document["format_version"] = "1";
    CHECK_FALSE(read_saved_plan(sign(document, key), "plan.json", key).has_value());
  }
  SUBCASE("a plan report is not a saved plan") {
    document["kind"] = "plan";
    auto read = read_saved_plan(sign(document, key), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().message().find("not a saved plan; make one with") != std::string::npos);
  }
  SUBCASE("not an object") {
    auto read = read_saved_plan("[1, 2]", "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().message() == "plan.json: not a saved plan");
  }
}

TEST_CASE("saved plan: syntax errors name file, line and column") {
  PlanKey key = test_key();
  auto read = read_saved_plan("{\n  \"kind\": \"saved_plan\",\n  \"x\": tru\n}\n", "p.json", key);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().message().rfind("p.json:3:", 0) == 0);
  CHECK_FALSE(read_saved_plan("", "p.json", key).has_value());
  CHECK_FALSE(read_saved_plan(std::string("\0\xff", 2), "p.json", key).has_value());
  auto deep = read_saved_plan(std::string(1000000, '[') + std::string(1000000, ']'), "p.json", key);
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().message() == "p.json: not a saved plan (nested too deeply)");
  // Brackets inside strings do not count.
  CHECK(read_saved_plan("{\"kind\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}", "p.json", key)
            .error()
            .message() == "p.json: not a saved plan");
}

TEST_CASE("saved plan: signed but malformed fields are reported by path") {
  PlanKey key = test_key();
  json good = json::parse(write_saved_plan(Sample().plan(key), key));
  struct Case {
    const char* what;
    std::function<void(json&)> edit;
    const char* message;
  };
  std::vector<Case> cases = {
      {"script missing", [](json& d) { d["hosts"][0]["changes"][0].erase("script"); },
       "hosts[0].changes[0].script: missing"},
      {"action unknown", [](json& d) { d["hosts"][0]["changes"][0]["action"] = "explode"; },
       "hosts[0].changes[0].action: unknown action 'explode'"},
      {"phase unknown", [](json& d) { d["hosts"][0]["changes"][0]["phase"] = 7; },
       "hosts[0].changes[0].phase: expected a string"},
      {"hosts not a list", [](json& d) { d["hosts"] = "web1"; }, "hosts: expected an array"},
      {"bad base64",
       [](json& d) {
         d["hosts"][0]["changes"][0]["input"] = {{"base64", "!!"}};
       },
       "hosts[0].changes[0].input.base64: invalid base64"},
      {"input of another type", [](json& d) { d["hosts"][0]["changes"][0]["input"] = 5; },
       "hosts[0].changes[0].input: expected a string"},
      {"a fact digest not a string", [](json& d) { d["hosts"][0]["facts"]["user alice"] = 1; },
       "hosts[0].facts.user alice: expected a string"},
      {"a duplicate host", [](json& d) { d["hosts"][1]["name"] = d["hosts"][0]["name"]; },
       "hosts[1]: host web1 appears twice"},
      {"created_at not a time", [](json& d) { d["created_at"] = "yesterday"; }, "created_at: "},
      {"requires not strings", [](json& d) { d["hosts"][0]["changes"][0]["requires"] = {1}; },
       "hosts[0].changes[0].requires[0]: expected a string"},
  };
  for (const auto& c : cases) {
    CAPTURE(std::string(c.what));
    json document = good;
    c.edit(document);
    auto read = read_saved_plan(sign(document, key), "plan.json", key);
    REQUIRE_FALSE(read.has_value());
    CHECK(read.error().message().find(c.message) != std::string::npos);
  }
}

TEST_CASE("saved plan: age") {
  SavedPlan plan;
  plan.created_at = format_utc(kMadeAt);
  CHECK(check_plan_age(plan, kMadeAt + 3600, 24 * 3600).has_value());
  auto old = check_plan_age(plan, kMadeAt + 25 * 3600, 24 * 3600);
  REQUIRE_FALSE(old.has_value());
  CHECK(old.error().message() ==
        "the plan was made at 2024-05-01T12:00:00Z, 25h 0m ago, which is older than --max-age "
        "24h 0m; make a new plan");
  auto future = check_plan_age(plan, kMadeAt - 3600, 24 * 3600);
  REQUIRE_FALSE(future.has_value());
  CHECK(future.error().message().find("in the future") != std::string::npos);
  CHECK(check_plan_age(plan, kMadeAt - 60, 24 * 3600).has_value());  // small clock skew
}

TEST_CASE("durations and times") {
  CHECK(MUST(parse_duration("24h")) == 86400);
  CHECK(MUST(parse_duration("90m")) == 5400);
  CHECK(MUST(parse_duration("3600s")) == 3600);
  CHECK(MUST(parse_duration("7d")) == 604800);
  for (const char* bad : {"", "h", "24", "24x", "-1h", "1.5h", "24 h", "9999999999d"}) {
    CAPTURE(std::string(bad));
    CHECK_FALSE(parse_duration(bad).has_value());
  }
  CHECK(format_utc(kMadeAt) == "2024-05-01T12:00:00Z");
  CHECK(MUST(parse_utc("2024-05-01T12:00:00Z")) == kMadeAt);
  for (const char* bad : {"2024-05-01 12:00:00", "2024-05-01T12:00:00", "2024-13-01T12:00:00Z",
                          "2024-05-01T12:00:00Z junk", ""}) {
    CAPTURE(std::string(bad));
    CHECK_FALSE(parse_utc(bad).has_value());
  }
}

TEST_CASE("saved plan: a secret change without a key cannot be saved") {
  PlanKey key = test_key();
  Sample sample;
  sample.reports[0].plan[0].key.clear();
  for (auto& change : sample.reports[0].plan) {
    if (change.secret_input) change.key.clear();
  }
  auto plan = make_saved_plan(sample_repo(), "id", {&sample.web, &sample.down}, sample.reports, key,
                              kMadeAt);
  REQUIRE_FALSE(plan.has_value());
  CHECK(plan.error().message().find("streams secret bytes") != std::string::npos);
}

TEST_CASE("saved plan: random byte edits are refused, never crash") {
  PlanKey key = test_key();
  std::string text = write_saved_plan(Sample().plan(key), key);
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1103515245 + 12345;
    return state >> 8;
  };
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string edited = text;
    size_t at = next() % edited.size();
    edited[at] = static_cast<char>(next() & 0xff);
    auto read = read_saved_plan(edited, "plan.json", key);
    if (read.has_value()) {
      // Only an edit the parser ignores (whitespace for whitespace) passes,
      // and then the plan is the one that was signed.
      ++accepted;
      CHECK(write_saved_plan(*read, key) == text);
    }
  }
  CHECK(accepted < 100);
}
