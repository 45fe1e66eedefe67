// Plan rendering against golden files (tests/data/golden). Set
// RECONCILE_UPDATE_GOLDEN=1 to rewrite them after an intended change, then
// review the diff.

#include "reconciler/plan_output.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/unit/test_files.h"

#include "tests/unit/test_files.h"

using namespace reconcile;
using namespace reconcile::modules;

namespace {

void check_golden(const std::string& name, const std::string& actual) {
  reconcile::testing::check_golden_file("tests/data/golden/" + name, actual);
}

std::vector<HostReport> sample_reports() {
  HostReport web;
  web.name = "web1";
  web.address = "203.0.113.11";
  web.status = HostStatus::kChangesPending;
  web.round_trips = 1;
  web.stats.connections = 1;
  web.stats.channels = 1;
  Change user;
  user.module = "users";
  user.resource = "user alice";
  user.key = "user:alice";
  user.action = Action::kCreate;
  user.phase = Phase::kUsers;
  user.fields = {field("uid", "", "2001"), field("shell", "", "/bin/bash"),
                 FieldChange{"password", "(none)", "$6$must-not-appear", true}};
  user.reason = "user does not exist";
  user.script = "useradd ...";
  Change file;
  file.module = "files";
  file.resource = "file /etc/motd";
  file.key = "file:/etc/motd";
  file.action = Action::kUpdate;
  file.fields = {field("sha256", "1a2b3c4d5e6f", "6f5e4d3c2b1a")};
  file.reason = "content differs";
  file.input = "SECRET-CONTENT-MUST-NOT-APPEAR";
  Change remove;
  remove.module = "users";
  remove.resource = "user olduser";
  remove.key = "user:olduser";
  remove.action = Action::kRemove;
  remove.destructive = true;
  remove.fields = {field("uid", "1003", "")};
  remove.reason = "declared absent; home directory /home/olduser is kept";
  web.plan = {user, file, remove};

  HostReport db;
  db.name = "db1";
  db.address = "db1.example.org";
  db.status = HostStatus::kConverged;
  db.round_trips = 1;
  db.stats.connections = 1;
  db.stats.channels = 1;

  HostReport down;
  down.name = "old1";
  down.address = "192.0.2.9";
  down.status = HostStatus::kUnreachable;
  down.error = "connect to 192.0.2.9:22 timed out after 15 s";
  return {web, db, down};
}

}  // namespace

TEST_CASE("text plan matches its golden file and hides secrets") {
  std::string text = render_text(sample_reports(), OutputStyle{});
  check_golden("plan.txt", text);
  CHECK(text.find("must-not-appear") == std::string::npos);
  CHECK(text.find("SECRET-CONTENT") == std::string::npos);
}

TEST_CASE("colour only when asked") {
  CHECK(render_text(sample_reports(), OutputStyle{}).find('\033') == std::string::npos);
  CHECK(render_text(sample_reports(), OutputStyle{true, false}).find("\033[32m+") !=
        std::string::npos);
}

TEST_CASE("JSON plan matches its golden file and hides secrets") {
  auto reports = sample_reports();
  for (auto& report : reports)
    report.seconds = 0;
  std::string json = render_json(reports, "commit 0123456789ab of /srv/infra",
                                 "0123456789abcdef0123456789abcdef01234567", false)
                         .dump(2) +
                     "\n";
  check_golden("plan.json", json);
  CHECK(json.find("must-not-appear") == std::string::npos);
  CHECK(json.find("SECRET-CONTENT") == std::string::npos);
  CHECK(json.find("useradd") == std::string::npos);  // scripts are not part of the plan document
}
