// files, packages, services, sysctl: (desired, facts) -> changes, and the
// parsers on canned probe output.

#include <doctest/doctest.h>

#include "modules/text.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

FileFacts regular(const std::string& content, const std::string& mode = "644") {
  FileFacts file;
  file.exists = true;
  file.type = "regular file";
  file.owner = "root";
  file.group = "root";
  file.mode = static_cast<uint32_t>(std::stoul(mode, nullptr, 8));
  file.sha256 = sha256_hex(content);
  return file;
}

}  // namespace

TEST_CASE("files: create, content update, attributes, directories, absent") {
  state::Host host = host_from_yaml(
      "files:\n"
      "  /etc/new: { content: \"new\\n\" }\n"
      "  /etc/changed: { content: \"v2\\n\", mode: '0600' }\n"
      "  /etc/mode: { content: \"same\\n\", mode: '0600', owner: www-data }\n"
      "  /etc/same: { content: \"same\\n\" }\n"
      "  /srv/dir: { type: directory, mode: '0750' }\n"
      "  /etc/gone: { state: absent }\n"
      "  /etc/already-gone: { state: absent }\n");
  HostFacts facts;
  facts.files = {FileFacts{},       regular("v1\n"), regular("same\n", "644"),
                 regular("same\n"), FileFacts{},     regular("x"),
                 FileFacts{}};
  auto changes = diff_module(diff_files, host, facts);
  CHECK(summarize(changes) == std::vector<std::string>{"+ file /etc/new", "~ file /etc/changed",
                                                       "~ file /etc/mode", "+ directory /srv/dir",
                                                       "- file /etc/gone !"});
  CHECK(changes[0].input == "new\n");
  CHECK(changes[0].script.find("chmod -- 644 \"$tmp\"") != std::string::npos);
  CHECK(changes[1].reason == "content differs");
  CHECK(changes[1].script.find("chmod -- 600") != std::string::npos);  // declared mode applies
  CHECK(changes[2].reason == "owner is root:root, want www-data:root; mode is 644, want 600");
  CHECK(changes[2].input.empty());  // attributes only: no content crosses the wire
  CHECK(changes[2].requires_keys.front() == "user:www-data");
  CHECK(changes[3].script.find("chmod -- 750 '/srv/dir'") != std::string::npos);
}

TEST_CASE("files: an existing file keeps undeclared owner and mode on rewrite") {
  state::Host host = host_from_yaml("files:\n  /etc/x: { content: \"v2\\n\" }\n");
  HostFacts facts;
  FileFacts fact = regular("v1\n", "640");
  fact.owner = "app";
  fact.group = "web";
  facts.files = {fact};
  auto changes = diff_module(diff_files, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].script.find("chown -- 'app':'web' \"$tmp\"") != std::string::npos);
  CHECK(changes[0].script.find("chmod -- 640 \"$tmp\"") != std::string::npos);
}

TEST_CASE("files: a directory where a file is wanted is a destructive change") {
  state::Host host = host_from_yaml("files:\n  /etc/x: { content: a }\n");
  HostFacts facts;
  FileFacts dir;
  dir.exists = true;
  dir.type = "directory";
  facts.files = {dir};
  auto changes = diff_module(diff_files, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].destructive);
  CHECK(changes[0].reason.find("is a directory, want a regular file") == 0);
}

TEST_CASE("files: a file in a managed directory waits for it") {
  state::Host host =
      host_from_yaml("files:\n  /srv/app: { type: directory }\n  /srv/app/conf: { content: a }\n");
  HostFacts facts;
  facts.files = {FileFacts{}, FileFacts{}};
  auto changes = diff_module(diff_files, host, facts);
  REQUIRE(changes.size() == 2);
  CHECK(std::find(changes[1].requires_keys.begin(), changes[1].requires_keys.end(),
                  "file:/srv/app") != changes[1].requires_keys.end());
}

TEST_CASE("files: probe output parsing, including empty files and odd paths") {
  state::Host host = host_from_yaml(
      "files:\n  \"/etc/a b\": { content: '' }\n  /etc/d: { type: directory }\n  /etc/m: { "
      "content: x }\n");
  Sections sections;
  sections["files"].text =
      "file 0 stat root root 644 regular empty file\n"
      "file 0 sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "file 1 stat root root 755 directory\n"
      "file 2 missing\n";
  HostFacts facts;
  REQUIRE(parse_files(sections, host, facts).has_value());
  CHECK(facts.files[0].type == "regular file");
  CHECK(facts.files[0].mode == 0644);
  CHECK(facts.files[1].type == "directory");
  CHECK_FALSE(facts.files[2].exists);
  CHECK(diff_module(diff_files, host, facts).size() == 1);  // only the missing file
  sections["files"].text = "file 9 missing\n";
  CHECK_FALSE(parse_files(sections, host, facts).has_value());
}

TEST_CASE("packages: installs and removals are one change each; refresh only when unknown") {
  state::Host host =
      host_from_yaml("packages: { nginx: present, curl: present, telnet: absent, vim: absent }\n");
  HostFacts facts;
  facts.system.package_manager = "apt";
  facts.packages.installed = {"curl", "telnet"};
  auto changes = diff_module(diff_packages, host, facts);
  REQUIRE(summarize(changes) ==
          std::vector<std::string>{"+ packages (install)", "- packages (remove) !"});
  CHECK(changes[0].script.find("apt-get update") == std::string::npos);
  CHECK(changes[0].script.find("apt-get install -q -y --no-install-recommends") !=
        std::string::npos);
  CHECK(changes[0].script.find(" 'nginx'\n") != std::string::npos);
  CHECK(changes[1].script.find("apt-get remove -q -y 'telnet'") != std::string::npos);
  facts.packages.unknown = {"nginx"};
  CHECK(diff_module(diff_packages, host, facts)[0].script.find("apt-get update -q\n") !=
        std::string::npos);
  facts.system.package_manager = "pacman";
  CHECK(diff_module(diff_packages, host, facts)[0].script ==
        "pacman -S --noconfirm --needed --refresh 'nginx'\n");
  facts.packages.installed = {"nginx", "curl"};
  CHECK(diff_module(diff_packages, host, facts).empty());
}

TEST_CASE("packages: dpkg status parsing") {
  state::Host host = host_from_yaml("packages: [nginx, curl, gone]\n");
  Sections sections;
  sections["packages"].text =
      "installed nginx ii\ninstalled curl:amd64 ii\ninstalled gone rc\nunknown foo\n";
  HostFacts facts;
  REQUIRE(parse_packages(sections, host, facts).has_value());
  CHECK(facts.packages.installed == std::set<std::string>{"nginx", "curl", "curl:amd64"});
  CHECK(facts.packages.unknown == std::set<std::string>{"foo"});
}

TEST_CASE("services: unit file, enable, start; restarts follow changed files") {
  state::Host host = host_from_yaml(
      "services:\n  nginx: { enabled: true, running: true }\n  job: { enabled: false, unit: "
      "\"[Unit]\\n\" }\n"
      "files:\n  /etc/nginx.conf: { content: a, restart: [nginx] }\n");
  HostFacts facts;
  facts.services["nginx"] = {"loaded", "inactive", "disabled", std::nullopt};
  facts.services["job"] = {"loaded", "inactive", "disabled", sha256_hex("old")};
  facts.files = {FileFacts{}};
  std::vector<Change> changes = diff_host({host, facts});
  CHECK(summarize(changes) ==
        std::vector<std::string>{"+ file /etc/nginx.conf", "~ service nginx",
                                 "~ unit file /etc/systemd/system/job.service", "~ restart nginx"});
  const Change& nginx = changes[1];
  CHECK(nginx.script.find("systemctl enable --quiet -- 'nginx.service'") != std::string::npos);
  CHECK(nginx.script.find("systemctl start -- 'nginx.service' || { status=$?; journalctl") !=
        std::string::npos);
  CHECK(changes[2].script.find("systemctl daemon-reload") != std::string::npos);
  CHECK(changes[3].triggered_by == std::vector<std::string>{"file:/etc/nginx.conf"});
  CHECK(changes[3].script.find("systemctl restart") == 0);

  facts.services["nginx"] = {"loaded", "active", "enabled", std::nullopt};
  facts.services["job"] = {"loaded", "inactive", "disabled", sha256_hex("[Unit]\n")};
  facts.files = {regular("a")};
  CHECK(diff_host({host, facts}).empty());
}

TEST_CASE("services: probe output parsing") {
  state::Host host = host_from_yaml("services:\n  nginx: {}\n");
  Sections sections;
  sections["services"].text =
      "service nginx LoadState loaded\nservice nginx ActiveState active\n"
      "service nginx UnitFileState enabled\nservice nginx UnitDigest abc\n";
  HostFacts facts;
  REQUIRE(parse_services(sections, host, facts).has_value());
  CHECK(facts.services["nginx"].active_state == "active");
  CHECK(facts.services["nginx"].unit_digest == "abc");
}

TEST_CASE("sysctl: live values and the drop-in") {
  state::Host host = host_from_yaml(
      "sysctl:\n  net.ipv4.ip_forward: 0\n  net.ipv4.ip_local_port_range: \"1024  65000\"\n");
  Sections sections;
  sections["sysctl"].text =
      "/proc/sys/net/ipv4/ip_forward:1\n/proc/sys/net/ipv4/ip_local_port_range:1024\t65000\n";
  HostFacts facts;
  REQUIRE(parse_sysctl(sections, host, facts).has_value());
  auto changes = diff_module(diff_sysctl, host, facts);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].reason ==
        "net.ipv4.ip_forward is 1, want 0; /etc/sysctl.d/60-reconcile.conf is missing");
  CHECK(changes[0].input ==
        "# Managed by reconcile; local changes are reverted.\n"
        "net.ipv4.ip_forward = 0\nnet.ipv4.ip_local_port_range = 1024 65000\n");
  facts.sysctl.live["net.ipv4.ip_forward"] = "0";
  facts.sysctl.dropin_digest = sha256_hex(changes[0].input);
  CHECK(diff_module(diff_sysctl, host, facts).empty());
}

TEST_CASE("sysctl: missing keys, values of several lines, and malformed probe output") {
  state::Host host = host_from_yaml("sysctl:\n  net.a: 1\n  net.a.b: 2\n  net.c: x\n  net.d: 0\n");
  HostFacts facts;
  Sections sections;
  // grep -H prints one "PATH:LINE" per line of each file; an empty file
  // prints nothing; keys the host lacks are reported as missing.
  sections["sysctl"].text =
      "missing 2\n/proc/sys/net/a:1\n/proc/sys/net/a/b:2\n/proc/sys/net/a/b:3\tfour\n"
      "dropin abc\n";
  REQUIRE(parse_sysctl(sections, host, facts).has_value());
  CHECK(facts.sysctl.live.at("net.a") == "1");
  CHECK(facts.sysctl.live.at("net.a.b") == "2 3 four");
  CHECK_FALSE(facts.sysctl.live.at("net.c").has_value());
  CHECK(facts.sysctl.live.at("net.d") == "");
  CHECK(facts.sysctl.dropin_digest == "abc");

  for (const char* bad : {"/proc/sys/net/zzz:1\n", "live 0 1\n", "missing 9\n", "missing 1x\n",
                          "/proc/sys/net/a\n"}) {
    CAPTURE(bad);
    HostFacts broken;
    sections["sysctl"].text = bad;
    auto status = parse_sysctl(sections, host, broken);
    REQUIRE_FALSE(status.has_value());
    CHECK(status.error().message().find("unexpected sysctl probe line") != std::string::npos);
  }
}
