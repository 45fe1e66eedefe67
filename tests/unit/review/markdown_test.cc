// The Markdown plan for pull-request comments, against its golden file
// (tests/data/golden/plan.md; RECONCILE_UPDATE_GOLDEN=1 rewrites it), and
// escaping of text that could break the table or a code block.

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "reconciler/plan_output.h"
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
  file.action = Action::kUpdate;
  file.fields = {field("sha256", "1a2b3c4d5e6f", "6f5e4d3c2b1a")};
  file.reason = "content differs";
  file.input = "SECRET-CONTENT-MUST-NOT-APPEAR";
  Change remove;
  remove.module = "users";
  remove.resource = "user olduser";
  remove.action = Action::kRemove;
  remove.destructive = true;
  remove.fields = {field("uid", "1003", "")};
  remove.reason = "declared absent; home directory /home/olduser is kept";
  web.plan = {user, file, remove};

  HostReport db;
  db.name = "db1";
  db.address = "db1.example.org";
  db.status = HostStatus::kConverged;

  HostReport down;
  down.name = "old1";
  down.address = "192.0.2.9";
  down.status = HostStatus::kUnreachable;
  down.error = "connect to 192.0.2.9:22 timed out after 15 s";

  HostReport stale;
  stale.name = "app1";
  stale.address = "203.0.113.12";
  stale.status = HostStatus::kStale;
  stale.error = "plan made at 2024-05-01T12:00:00Z; since then: file /etc/app/conf1.ini changed";
  return {web, db, down, stale};
}

}  // namespace

TEST_CASE("markdown plan matches its golden file and hides secrets") {
  std::string markdown =
      render_markdown(sample_reports(), "0123456789abcdef0123456789abcdef01234567", false);
  check_golden("plan.md", markdown);
  CHECK(markdown.find("must-not-appear") == std::string::npos);
  CHECK(markdown.find("SECRET-CONTENT") == std::string::npos);
  CHECK(markdown.find("useradd") == std::string::npos);
  CHECK(markdown.find("<details>") != std::string::npos);
  CHECK(markdown.find("| web1 | 1 | 1 | 1 | ⚠️ 1 | changes pending |") != std::string::npos);
  CHECK(markdown.find("| old1 | – | – | – |  | unreachable |") != std::string::npos);
}

TEST_CASE("markdown: converged hosts get a table row and no section") {
  HostReport db;
  db.name = "db1";
  db.address = "10.0.0.1";
  std::string markdown = render_markdown({db}, "", false);
  CHECK(markdown.find("| db1 | 0 | 0 | 0 |  | no changes |") != std::string::npos);
  CHECK(markdown.find("<details>") == std::string::npos);
  CHECK(markdown.find("**0 to create, 0 to update, 0 to remove** on 0 of 1 host") !=
        std::string::npos);
}

TEST_CASE("markdown: hostile text cannot break the table or the code blocks") {
  HostReport host;
  host.name = "web1";
  host.address = "<script>|x";
  host.status = HostStatus::kChangesPending;
  Change change;
  change.resource = "file /etc/```evil";
  change.reason = "```\n</details><img src=x>";
  host.plan = {change};
  host.error = "a | b <b>bold</b>";
  std::string markdown = render_markdown({host}, "", false);
  CHECK(markdown.find("<script>") == std::string::npos);
  CHECK(markdown.find("&lt;script&gt;\\|x") != std::string::npos);
  // The diff block's fence is longer than the backtick run inside it.
  CHECK(markdown.find("````diff\n") != std::string::npos);
  CHECK(markdown_code_block("a ```` b", "") == "`````\na ```` b\n`````\n");
  CHECK(markdown_escape("a|b\nc<d>&") == "a\\|b c&lt;d&gt;&amp;");
}

TEST_CASE("markdown: an apply report says applied") {
  auto reports = sample_reports();
  reports[1].plan = reports[0].plan;
  reports[1].status = HostStatus::kConverged;
  std::string markdown = render_markdown(reports, "", true);
  CHECK(markdown.rfind("### reconcile apply\n", 0) == 0);
  CHECK(markdown.find("| db1 | 1 | 1 | 1 | ⚠️ 1 | applied |") != std::string::npos);
  CHECK(markdown.find("| app1 | – | – | – |  | stale |") != std::string::npos);
}
