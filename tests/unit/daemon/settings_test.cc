// Daemon settings: durations, listen addresses, the config file (errors with
// file:line:col) and the rule that flags given on the command line win.

#include "reconciler/daemon/settings.h"

#include <doctest/doctest.h>

#include "tests/unit/daemon/fixtures.h"

using namespace reconcile;
using namespace reconcile::daemon;
using namespace reconcile::daemon::testing;
using std::chrono::seconds;

TEST_CASE("durations") {
  CHECK(parse_duration("90") == seconds(90));
  CHECK(parse_duration("90s") == seconds(90));
  CHECK(parse_duration("5m") == seconds(300));
  CHECK(parse_duration("2h") == seconds(7200));
  CHECK(parse_duration("1d") == seconds(86400));
  for (const char* bad : {"", "s", "0", "0s", "-5s", "5 m", "1.5m", "5x", "99999999999"})
    CHECK_FALSE(parse_duration(bad).has_value());
}

TEST_CASE("listen addresses") {
  auto v4 = parse_listen("127.0.0.1:9180");
  REQUIRE(v4.has_value());
  CHECK(v4->first == "127.0.0.1");
  CHECK(v4->second == 9180);
  auto v6 = parse_listen("[::1]:80");
  REQUIRE(v6.has_value());
  CHECK(v6->first == "::1");
  for (const char* bad : {"", "9180", ":9180", "127.0.0.1:", "127.0.0.1:99999", "[::1:80"})
    CHECK_FALSE(parse_listen(bad).has_value());
}

TEST_CASE("validation names the setting at fault") {
  DaemonSettings settings;
  CHECK(validate_settings(settings).error().message().find("--repo") != std::string::npos);
  settings.repo = "/srv/infra.git";
  CHECK(validate_settings(settings).has_value());
  settings.require_signed = true;
  CHECK(validate_settings(settings).error().message().find("--allowed-signers") !=
        std::string::npos);
  settings.allowed_signers = "/etc/reconcile/allowed_signers";
  settings.retry = {seconds(100), seconds(10)};
  CHECK(validate_settings(settings).error().message().find("--retry-initial") != std::string::npos);
  settings.retry = {seconds(10), seconds(100)};
  settings.connection.identities = {"/var/lib/reconcile/identity.txt", "/root/other.txt"};
  CHECK(validate_settings(settings).error().message().find("--identity") != std::string::npos);
}

TEST_CASE("the config file sets settings by their flag names") {
  TempDir dir;
  dir.write("watch.yaml",
            "repo: git@git.example.org:infra.git\n"
            "branch: prod\n"
            "interval: 2m\n"
            "require-signed: true\n"
            "allowed-signers: /etc/reconcile/allowed_signers\n"
            "ssh-key: [/etc/reconcile/deploy_key, /etc/reconcile/other]\n"
            "identity: /etc/reconcile/age.key\n"
            "jobs: 8\n"
            "retry-max: 30m\n");
  DaemonSettings settings;
  auto status = apply_config_file(dir / "watch.yaml", settings);
  REQUIRE_MESSAGE(status.has_value(), status.error().message());
  CHECK(settings.repo == "git@git.example.org:infra.git");
  CHECK(settings.branch == "prod");
  CHECK(settings.interval == seconds(120));
  CHECK(settings.require_signed);
  CHECK(settings.connection.ssh_keys.size() == 2);
  CHECK(settings.connection.identities == std::vector<std::string>{"/etc/reconcile/age.key"});
  CHECK(settings.connection.jobs == 8);
  CHECK(settings.retry.max == seconds(1800));
}

TEST_CASE("config file errors carry file:line:col") {
  TempDir dir;
  auto error_of = [&](const std::string& text) {
    dir.write("watch.yaml", text);
    DaemonSettings settings;
    auto status = apply_config_file(dir / "watch.yaml", settings);
    REQUIRE_FALSE(status.has_value());
    return status.error().message();
  };
  std::string file = dir / "watch.yaml";
  CHECK(error_of("repo: x\nintervall: 5m\n") ==
        file + ":2:1: unknown setting 'intervall' (did you mean 'interval'?)");
  CHECK(error_of("interval: soon\n") ==
        file + ":1:11: interval: expected a duration such as 90s, 5m or 1h");
  CHECK(error_of("jobs: 0\n") == file + ":1:7: jobs: expected a number from 1 to 1024");
  CHECK(error_of("require-signed: yes\n") ==
        file + ":1:17: require-signed: expected true or false");
  CHECK(error_of("state: /tmp\n") == file + ":1:1: 'state' can only be given as a flag");
  CHECK(error_of("- a\n").find(":1:1: expected a map of settings") != std::string::npos);
  CHECK(error_of("repo: [\n").find(file + ":") == 0);
}

TEST_CASE("flags given on the command line win over the file") {
  DaemonSettings file;
  file.repo = "from-file";
  file.branch = "from-file";
  file.interval = seconds(300);
  DaemonSettings flags;
  flags.repo = "from-flag";
  flags.branch = "main";  // a default, not given
  flags.interval = seconds(10);
  flags.connection.jobs = 3;
  apply_given(flags, {"repo", "interval", "jobs"}, file);
  CHECK(file.repo == "from-flag");
  CHECK(file.branch == "from-file");
  CHECK(file.interval == seconds(10));
  CHECK(file.connection.jobs == 3);
}
