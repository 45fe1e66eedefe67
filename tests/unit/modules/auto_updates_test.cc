// auto_updates: the apt settings file against golden files, the probe parser
// on canned output, and (desired, facts) -> changes.

#include <doctest/doctest.h>

#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"
#include "tests/unit/test_files.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

const char* kDailyReboot =
    "security:\n  auto_updates: { schedule: daily, reboot: true, reboot_time: \"03:30\" }\n";

// A Debian 12 host where everything is as declared by `host`.
HostFacts converged(const state::Host& host) {
  HostFacts facts;
  facts.system.os_id = "debian";
  facts.system.os_version_id = "12";
  facts.system.init = "systemd";
  facts.system.package_manager = "apt";
  const state::AutoUpdates& updates = *host.security.auto_updates;
  facts.auto_updates.packages = {{"unattended-upgrades", PackageState::kInstalled}};
  facts.auto_updates.settings_digest = sha256_hex(render_auto_updates(updates));
  std::string days = updates.schedule == "daily" ? "1" : updates.schedule == "weekly" ? "7" : "0";
  facts.auto_updates.settings = {
      {"APT::Periodic::Update-Package-Lists", days},
      {"APT::Periodic::Unattended-Upgrade", days},
      {"Unattended-Upgrade::Automatic-Reboot", updates.reboot ? "true" : "false"}};
  if (updates.reboot_time) {
    facts.auto_updates.settings["Unattended-Upgrade::Automatic-Reboot-Time"] = *updates.reboot_time;
  }
  facts.auto_updates.timers = {{"apt-daily.timer", "enabled"},
                               {"apt-daily-upgrade.timer", "enabled"}};
  return facts;
}

std::vector<Change> diff_with_refusals(const state::Host& host, const HostFacts& facts,
                                       std::vector<std::string>& refusals) {
  std::vector<Change> changes;
  DiffContext context{host, facts};
  context.refusals = &refusals;
  diff_auto_updates(context, changes);
  return changes;
}

}  // namespace

TEST_CASE("auto_updates: the settings file matches its golden files") {
  check_golden_file("tests/unit/modules/golden/auto-updates-daily-reboot.conf",
                    render_auto_updates(*host_from_yaml(kDailyReboot).security.auto_updates));
  check_golden_file(
      "tests/unit/modules/golden/auto-updates-weekly.conf",
      render_auto_updates(
          *host_from_yaml("security: { auto_updates: weekly }\n").security.auto_updates));
  check_golden_file(
      "tests/unit/modules/golden/auto-updates-off.conf",
      render_auto_updates(
          *host_from_yaml("security: { auto_updates: off }\n").security.auto_updates));
  // A reboot time without reboot: true sets nothing about the time.
  state::Host no_reboot =
      host_from_yaml("security:\n  auto_updates: { schedule: daily, reboot_time: \"04:00\" }\n");
  CHECK(render_auto_updates(*no_reboot.security.auto_updates).find("Reboot-Time") ==
        std::string::npos);
}

TEST_CASE("auto_updates: a converged host has nothing to do") {
  for (const char* yaml : {kDailyReboot, "security: { auto_updates: weekly }\n",
                           "security: { auto_updates: off }\n"}) {
    CAPTURE(yaml);
    state::Host host = host_from_yaml(yaml);
    CHECK(diff_module(diff_auto_updates, host, converged(host)).empty());
  }
  state::Host none = host_from_yaml("packages: [vim]\n");
  CHECK(probe_auto_updates(none).empty());
}

TEST_CASE("auto_updates: a fresh host gets the package, the settings and the timers") {
  state::Host host = host_from_yaml(kDailyReboot);
  HostFacts facts = converged(host);
  facts.auto_updates.packages["unattended-upgrades"] = PackageState::kUnknown;
  facts.auto_updates.settings_digest.reset();
  facts.auto_updates.settings = {{"APT::Periodic::Update-Package-Lists", "0"}};
  facts.auto_updates.timers["apt-daily-upgrade.timer"] = "disabled";
  auto changes = diff_module(diff_auto_updates, host, facts);
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{
              "+ unattended-upgrades package",
              "+ auto-updates settings /etc/apt/apt.conf.d/52reconcile-auto-updates",
              "~ apt timers"});
  CHECK(changes[0].phase == Phase::kPackages);
  CHECK(changes[0].reason ==
        "unattended-upgrades is not installed; the package index will be refreshed first");
  CHECK(changes[0].script.find("apt-get update -q\n") != std::string::npos);
  CHECK(changes[0].script.find("'unattended-upgrades'") != std::string::npos);

  const Change& settings = changes[1];
  CHECK(settings.phase == Phase::kFiles);
  CHECK(settings.reason == "/etc/apt/apt.conf.d/52reconcile-auto-updates does not exist");
  CHECK(settings.requires_keys == std::vector<std::string>{"auto_updates:package"});
  CHECK(settings.input == render_auto_updates(*host.security.auto_updates));
  const FieldChange* periodic = find_field(settings, "APT::Periodic::Update-Package-Lists");
  REQUIRE(periodic != nullptr);
  CHECK(periodic->before == "0");
  CHECK(periodic->after == "1");
  CHECK(find_field(settings, "Unattended-Upgrade::Automatic-Reboot-Time") != nullptr);
  // apt must still parse its configuration, and see our values.
  CHECK(settings.script.find("apt-config dump") != std::string::npos);
  CHECK(settings.script.find("grep -qxF -- 'Unattended-Upgrade::Automatic-Reboot-Time "
                             "\"03:30\";'") != std::string::npos);

  const Change& timers = changes[2];
  CHECK(timers.phase == Phase::kServices);
  CHECK(timers.reason == "apt-daily-upgrade.timer is disabled, want enabled");
  CHECK(timers.script ==
        "systemctl enable --now --quiet apt-daily.timer apt-daily-upgrade.timer\n");
}

TEST_CASE("auto_updates: each kind of drift gives its own change and reason") {
  state::Host host = host_from_yaml(kDailyReboot);
  SUBCASE("hand-edited settings file") {
    HostFacts facts = converged(host);
    facts.auto_updates.settings_digest = sha256_hex("APT::Periodic::Unattended-Upgrade \"0\";\n");
    auto changes = diff_module(diff_auto_updates, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].reason == "/etc/apt/apt.conf.d/52reconcile-auto-updates differs");
    CHECK(changes[0].action == Action::kUpdate);
  }
  SUBCASE("a later file overrides a value: drift, named") {
    HostFacts facts = converged(host);
    facts.auto_updates.settings["APT::Periodic::Unattended-Upgrade"] = "0";
    auto changes = diff_module(diff_auto_updates, host, facts);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].reason ==
          "APT::Periodic::Unattended-Upgrade is \"0\", want \"1\": a file read later in "
          "/etc/apt/apt.conf.d overrides it");
  }
  SUBCASE("a timer disabled") {
    HostFacts facts = converged(host);
    facts.auto_updates.timers["apt-daily.timer"] = "disabled";
    CHECK(summarize(diff_module(diff_auto_updates, host, facts)) ==
          std::vector<std::string>{"~ apt timers"});
  }
  SUBCASE("schedule changes from daily to weekly") {
    state::Host weekly = host_from_yaml("security: { auto_updates: weekly }\n");
    auto changes = diff_module(diff_auto_updates, weekly, converged(host));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].input.find("APT::Periodic::Unattended-Upgrade \"7\";") != std::string::npos);
    const FieldChange* reboot = find_field(changes[0], "Unattended-Upgrade::Automatic-Reboot");
    REQUIRE(reboot != nullptr);
    CHECK(reboot->after == "false");
  }
}

TEST_CASE("auto_updates: off needs no package and leaves the timers alone") {
  state::Host host = host_from_yaml("security: { auto_updates: off }\n");
  HostFacts facts = converged(host);
  facts.auto_updates.packages["unattended-upgrades"] = PackageState::kMissing;
  facts.auto_updates.timers = {{"apt-daily.timer", "disabled"},
                               {"apt-daily-upgrade.timer", "masked"}};
  CHECK(diff_module(diff_auto_updates, host, facts).empty());
}

TEST_CASE("auto_updates: other package managers refuse; no systemd leaves the timers") {
  state::Host host = host_from_yaml(kDailyReboot);
  HostFacts facts = converged(host);
  facts.system.package_manager = "pacman";
  std::vector<std::string> refusals;
  CHECK(diff_with_refusals(host, facts, refusals).empty());
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0] ==
        "security.auto_updates works through apt and unattended-upgrades (Debian, Ubuntu); "
        "this host's package manager is pacman");

  HostFacts no_systemd = converged(host);
  no_systemd.system.init = "init";
  no_systemd.auto_updates.timers.clear();
  refusals.clear();
  CHECK(diff_with_refusals(host, no_systemd, refusals).empty());
  CHECK(refusals.empty());
}

TEST_CASE("auto_updates: probe output parsing") {
  state::Host host = host_from_yaml(kDailyReboot);
  std::string digest = sha256_hex("x");
  Sections sections;
  sections["auto-updates"].text =
      "package unattended-upgrades installed\nfile " + digest +
      "\nsetting APT::Periodic::Update-Package-Lists \"1\";\n"
      "setting Unattended-Upgrade::Automatic-Reboot-Time \"03:30\";\n"
      "setting Unattended-Upgrade::Automatic-Reboot \"\";\n"
      "timer apt-daily.timer enabled\ntimer apt-daily-upgrade.timer not-found\n";
  HostFacts facts;
  REQUIRE(parse_auto_updates(sections, host, facts).has_value());
  const AutoUpdatesFacts& a = facts.auto_updates;
  CHECK(a.packages.at("unattended-upgrades") == PackageState::kInstalled);
  CHECK(a.settings_digest == digest);
  CHECK(a.settings.at("APT::Periodic::Update-Package-Lists") == "1");
  CHECK(a.settings.at("Unattended-Upgrade::Automatic-Reboot-Time") == "03:30");
  CHECK(a.settings.at("Unattended-Upgrade::Automatic-Reboot").empty());
  CHECK(a.timers.at("apt-daily.timer") == "enabled");
  CHECK(a.timers.at("apt-daily-upgrade.timer") == "not-found");

  for (const std::string& text :
       {std::string("package unattended-upgrades\n"), std::string("file 1234\n"),
        std::string("setting APT::Periodic::Unattended-Upgrade 1;\n"),
        std::string("setting APT::Periodic::Unattended-Upgrade \"1\"\n"),
        std::string("setting \"1\";\n"), std::string("timer apt-daily.timer\n"),
        std::string("timer apt-daily.timer enabled extra\n"), std::string("garbage\n")}) {
    CAPTURE(text);
    sections["auto-updates"].text = text;
    HostFacts bad;
    auto status = parse_auto_updates(sections, host, bad);
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().code() == ErrorCode::kDataLoss);
  }
}
