#pragma once

// Shared by the plan review tests: a sample host with every module in use,
// facts that match it, a dry-run report for it, temporary directories and
// git repositories.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "modules/module.h"
#include "modules/text.h"
#include "reconciler/plan_key.h"
#include "reconciler/report.h"
#include "tests/unit/modules/module_test_util.h"

namespace reconcile::testing {

inline const char* kSampleHostYaml = R"(groups:
  ops: { gid: 2000 }
users:
  alice:
    uid: 2001
    group: ops
    groups: [sudo]
    shell: /bin/bash
    authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L alice@example"]
packages: [nginx]
files:
  /etc/app/conf1.ini: { content: "a=1\n", restart: [app] }
services:
  nginx: { enabled: true, running: true }
sysctl:
  net.ipv4.ip_forward: 1
)";

inline state::Host sample_host() {
  return host_from_yaml(kSampleHostYaml);
}

// Facts under which the sample host needs exactly one change: the file.
inline modules::HostFacts sample_facts() {
  modules::HostFacts facts;
  facts.system.os_id = "debian";
  facts.system.os_version_id = "12";
  facts.system.kernel = "6.1.0-18-amd64";
  facts.system.hostname = "web1";
  facts.system.init = "systemd";
  facts.system.package_manager = "apt";
  facts.system.memory_bytes = 1 << 30;
  facts.system.uid = 0;
  facts.groups["ops"] = modules::GroupFacts{2000, {}};
  facts.groups["sudo"] = modules::GroupFacts{27, {}};
  modules::UserFacts alice;
  alice.uid = 2001;
  alice.gid = 2000;
  alice.primary_group = "ops";
  alice.groups = {"sudo"};
  alice.shell = "/bin/bash";
  alice.home = "/home/alice";
  alice.comment = "";
  alice.home_exists = true;
  alice.keys_digest = modules::sha256_hex(
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRUIok6nlT3Ru0WFAvyBO0HgTyBI4cKM0k8/zEKce+L "
      "alice@example\n");
  alice.keys_owner = "alice:ops";
  alice.keys_mode = "600";
  alice.ssh_dir_owner = "alice:ops";
  alice.ssh_dir_mode = "700";
  facts.users["alice"] = alice;
  facts.packages.installed = {"nginx", "curl"};
  facts.files = {
      modules::FileFacts{true, "regular file", "root", "root", 0644, modules::sha256_hex("a=0\n")}};
  facts.services["nginx"] = modules::ServiceFacts{"loaded", "active", "enabled", std::nullopt};
  facts.services["app"] = modules::ServiceFacts{"loaded", "active", "enabled", std::nullopt};
  facts.sysctl.live["net.ipv4.ip_forward"] = "1";
  facts.sysctl.dropin_digest = modules::sha256_hex("net.ipv4.ip_forward = 1\n");
  return facts;
}

// What a dry run reports for `host` under `facts`.
inline HostReport dry_run_report(const state::Host& host, const modules::HostFacts& facts) {
  HostReport report;
  report.name = host.name;
  report.address = host.address;
  report.facts = facts;
  report.plan = modules::diff_host({host, facts});
  report.status = report.plan.empty() ? HostStatus::kConverged : HostStatus::kChangesPending;
  report.round_trips = 1;
  return report;
}

inline PlanKey test_key(char fill = 'k') {
  return PlanKey::from_bytes(std::string(32, fill));
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/reconcile-review-test-XXXXXX";
    path = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  void write(const std::string& relative, const std::string& text) const {
    std::filesystem::create_directories((path / relative).parent_path());
    std::ofstream(path / relative, std::ios::binary) << text;
  }
  std::string str() const { return path.string(); }
};

// Runs git in `dir` with a fixed identity; returns its exit status.
inline int git(const std::filesystem::path& dir, const std::string& args) {
  std::string command = "git -C '" + dir.string() +
                        "' -c user.name=test -c user.email=test@example.org "
                        "-c commit.gpgsign=false " +
                        args + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

// The full id of `revision` in the repository at `dir`.
inline std::string rev_parse(const std::filesystem::path& dir, const std::string& revision) {
  std::string command = "git -C '" + dir.string() + "' rev-parse " + revision;
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[64] = {};
  std::string out = fgets(buffer, sizeof buffer, pipe) != nullptr ? buffer : "";
  pclose(pipe);
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

}  // namespace reconcile::testing
