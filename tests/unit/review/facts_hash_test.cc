// Relevant facts: the hash is stable for identical facts, changes with every
// relevant fact (one at a time), and ignores drift the plan cannot depend on.

#include "reconciler/facts_hash.h"

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "secrets/store.h"
#include "tests/unit/review/review_test_util.h"

using namespace reconcile;
using namespace reconcile::testing;
using modules::HostFacts;

namespace {

std::string hash_of(const state::Host& host, const HostFacts& facts) {
  return facts_hash(digest_facts(relevant_facts(host, facts)));
}

struct Mutation {
  const char* what;
  std::function<void(HostFacts&)> apply;
  const char* named;  // what changed_facts must say; nullptr: nothing (irrelevant)
};

}  // namespace

TEST_CASE("facts hash: identical facts give the identical hash") {
  state::Host host = sample_host();
  CHECK(hash_of(host, sample_facts()) == hash_of(host, sample_facts()));
  CHECK(hash_of(host, sample_facts()).size() == 64);
  CHECK(changed_facts(digest_facts(relevant_facts(host, sample_facts())),
                      digest_facts(relevant_facts(host, sample_facts())))
            .empty());
}

TEST_CASE("facts hash: every relevant fact changes it, and is named") {
  state::Host host = sample_host();
  std::vector<Mutation> mutations = {
      {"file content", [](HostFacts& f) { f.files[0].sha256 = "ff"; },
       "file /etc/app/conf1.ini changed"},
      {"file mode", [](HostFacts& f) { f.files[0].mode = 0600; },
       "file /etc/app/conf1.ini changed"},
      {"file owner", [](HostFacts& f) { f.files[0].owner = "alice"; },
       "file /etc/app/conf1.ini changed"},
      {"file group", [](HostFacts& f) { f.files[0].group = "ops"; },
       "file /etc/app/conf1.ini changed"},
      {"file type", [](HostFacts& f) { f.files[0].type = "directory"; },
       "file /etc/app/conf1.ini changed"},
      {"file deleted", [](HostFacts& f) { f.files[0] = modules::FileFacts{}; },
       "file /etc/app/conf1.ini changed"},
      {"user deleted", [](HostFacts& f) { f.users["alice"].reset(); }, "user alice changed"},
      {"user uid", [](HostFacts& f) { f.users["alice"]->uid = 3000; }, "user alice changed"},
      {"user shell", [](HostFacts& f) { f.users["alice"]->shell = "/bin/sh"; },
       "user alice changed"},
      {"user primary group", [](HostFacts& f) { f.users["alice"]->primary_group = "users"; },
       "user alice changed"},
      {"user groups", [](HostFacts& f) { f.users["alice"]->groups.insert("adm"); },
       "user alice changed"},
      {"authorized_keys", [](HostFacts& f) { f.users["alice"]->keys_digest = "00"; },
       "user alice changed"},
      {"authorized_keys mode", [](HostFacts& f) { f.users["alice"]->keys_mode = "644"; },
       "user alice changed"},
      {".ssh mode", [](HostFacts& f) { f.users["alice"]->ssh_dir_mode = "755"; },
       "user alice changed"},
      {"group gid", [](HostFacts& f) { f.groups["ops"]->gid = 2001; }, "group ops changed"},
      {"group deleted", [](HostFacts& f) { f.groups["ops"].reset(); }, "group ops changed"},
      {"package removed", [](HostFacts& f) { f.packages.installed.erase("nginx"); },
       "package nginx changed"},
      {"package unknown", [](HostFacts& f) { f.packages.unknown.insert("nginx"); },
       "package nginx changed"},
      {"service stopped", [](HostFacts& f) { f.services["nginx"].active_state = "failed"; },
       "service nginx changed"},
      {"service disabled", [](HostFacts& f) { f.services["nginx"].unit_file_state = "disabled"; },
       "service nginx changed"},
      {"service unit gone", [](HostFacts& f) { f.services["nginx"].load_state = "not-found"; },
       "service nginx changed"},
      {"sysctl live value", [](HostFacts& f) { f.sysctl.live["net.ipv4.ip_forward"] = "0"; },
       "sysctl net.ipv4.ip_forward changed"},
      {"sysctl drop-in", [](HostFacts& f) { f.sysctl.dropin_digest.reset(); },
       "sysctl drop-in changed"},
      {"package manager", [](HostFacts& f) { f.system.package_manager = "pacman"; },
       "system package manager changed"},
      {"distribution", [](HostFacts& f) { f.system.os_version_id = "13"; }, "system os changed"},
      {"script user", [](HostFacts& f) { f.system.uid = 1000; }, "system script user changed"},
  };
  std::string base = hash_of(host, sample_facts());
  FactDigests before = digest_facts(relevant_facts(host, sample_facts()));
  for (const auto& mutation : mutations) {
    CAPTURE(std::string(mutation.what));
    HostFacts facts = sample_facts();
    mutation.apply(facts);
    CHECK(hash_of(host, facts) != base);
    auto changed = changed_facts(before, digest_facts(relevant_facts(host, facts)));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0] == mutation.named);
  }
}

TEST_CASE("facts hash: unrelated drift leaves it unchanged") {
  state::Host host = sample_host();
  std::vector<Mutation> mutations = {
      {"kernel", [](HostFacts& f) { f.system.kernel = "6.1.0-20-amd64"; }, nullptr},
      {"hostname", [](HostFacts& f) { f.system.hostname = "other"; }, nullptr},
      {"memory", [](HostFacts& f) { f.system.memory_bytes *= 2; }, nullptr},
      {"interfaces", [](HostFacts& f) { f.system.interfaces = nlohmann::json::array({1}); },
       nullptr},
      {"an undeclared package", [](HostFacts& f) { f.packages.installed.insert("vim"); }, nullptr},
      {"a member added to a group", [](HostFacts& f) { f.groups["ops"]->members = {"bob"}; },
       nullptr},
      {"an undeclared user", [](HostFacts& f) { f.users["bob"] = modules::UserFacts{}; }, nullptr},
      {"an undeclared comment", [](HostFacts& f) { f.users["alice"]->comment = "Alice"; }, nullptr},
      {"a service only restarted", [](HostFacts& f) { f.services["app"].active_state = "failed"; },
       nullptr},
      {"an undeclared sysctl", [](HostFacts& f) { f.sysctl.live["vm.swappiness"] = "10"; },
       nullptr},
  };
  std::string base = hash_of(host, sample_facts());
  for (const auto& mutation : mutations) {
    CAPTURE(std::string(mutation.what));
    HostFacts facts = sample_facts();
    mutation.apply(facts);
    CHECK(hash_of(host, facts) == base);
  }
}

TEST_CASE("facts hash: what is relevant follows what is declared") {
  // Without `running:`, the service's state cannot enter the plan.
  state::Host host = host_from_yaml("services:\n  nginx: { enabled: true }\n");
  HostFacts facts;
  facts.services["nginx"] = {"loaded", "active", "enabled", std::nullopt};
  std::string base = hash_of(host, facts);
  facts.services["nginx"].active_state = "failed";
  CHECK(hash_of(host, facts) == base);
  facts.services["nginx"].unit_file_state = "disabled";
  CHECK(hash_of(host, facts) != base);
}

TEST_CASE("facts hash: keys that appear or disappear are named") {
  FactDigests before = {{"file /a", "1"}, {"user bob", "2"}};
  FactDigests after = {{"file /a", "1"}, {"user carol", "3"}};
  auto changed = changed_facts(before, after);
  REQUIRE(changed.size() == 2);
  CHECK(changed[0] == "user bob is no longer probed");
  CHECK(changed[1] == "user carol is now probed");
}

TEST_CASE("relevant facts: one row per module, in module table order") {
  const auto& modules = modules::module_table();
  const auto& rows = relevant_facts_table();
  REQUIRE(rows.size() == modules.size());
  for (size_t i = 0; i < rows.size(); ++i)
    CHECK(std::string(rows[i].module) == modules[i].name);
}

TEST_CASE("facts hash: disks count by their devices, the layout's mounts and fstab") {
  std::ifstream in(std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts/vps-gpt.yaml");
  std::stringstream layout;
  layout << in.rdbuf();
  state::Host host = host_from_yaml("disk: { layout: vps-gpt, device: /dev/vda }\n",
                                    {{"disk-layouts/vps-gpt.yaml", layout.str()}});
  REQUIRE(host.disk.has_value());
  REQUIRE(host.disk->model.has_value());
  HostFacts facts;
  facts.disk.emplace();
  disk::DeviceFacts device;
  device.device = "/dev/vda";
  device.exists = true;
  device.size = 4ull << 30;
  device.table = "gpt";
  device.partitions = {{3, "/dev/vda3", 1 << 20, 1 << 30, "0FC63DAF", "root", "u3"}};
  disk::BlockNode whole{"/dev/vda", "disk", "254:0", 4ull << 30, "", {"/dev/vda3"}, {}, 2};
  disk::BlockNode root{"/dev/vda3", "part", "254:3", 1 << 30, "/dev/vda", {}, {}, 0};
  root.signature.type = "ext4";
  device.nodes = {whole, root};
  facts.disk->devices = {device};
  facts.disk->mounts = {{"254:3", "/", "/", "ext4", "/dev/vda3", "rw"},
                        {"0:22", "/", "/run", "tmpfs", "tmpfs", "rw"}};
  facts.disk->fstab_exists = true;
  facts.disk->fstab = {{1, "UUID=x", "/", "ext4", "defaults", "0", "1"}};
  FactDigests before = digest_facts(relevant_facts(host, facts));
  CHECK(before.count("disk /dev/vda") == 1);

  std::vector<Mutation> relevant = {
      {"a partition resized", [](HostFacts& f) { f.disk->devices[0].partitions[0].size *= 2; },
       "disk /dev/vda changed"},
      {"a signature wiped", [](HostFacts& f) { f.disk->devices[0].nodes[1].signature = {}; },
       "disk /dev/vda changed"},
      {"the root unmounted", [](HostFacts& f) { f.disk->mounts.erase(f.disk->mounts.begin()); },
       "disk mounts changed"},
      {"something else mounted at the ESP's mountpoint",
       [](HostFacts& f) {
         f.disk->mounts.push_back({"0:40", "/", "/boot/efi", "tmpfs", "tmpfs", ""});
       },
       "disk mounts changed"},
      {"an fstab line edited", [](HostFacts& f) { f.disk->fstab[0].options = "noatime"; },
       "disk fstab changed"},
  };
  for (const auto& mutation : relevant) {
    CAPTURE(std::string(mutation.what));
    HostFacts changed = facts;
    mutation.apply(changed);
    auto named = changed_facts(before, digest_facts(relevant_facts(host, changed)));
    REQUIRE(named.size() == 1);
    CHECK(named[0] == mutation.named);
  }
  std::vector<Mutation> unrelated = {
      {"a tmpfs mounted elsewhere",
       [](HostFacts& f) {
         f.disk->mounts.push_back({"0:50", "/", "/mnt/x", "tmpfs", "tmpfs", ""});
       },
       nullptr},
      {"a swap file", [](HostFacts& f) { f.disk->swaps.push_back("/swapfile"); }, nullptr},
      {"an fstab comment moved the lines", [](HostFacts& f) { f.disk->fstab[0].line = 7; },
       nullptr},
  };
  for (const auto& mutation : unrelated) {
    CAPTURE(std::string(mutation.what));
    HostFacts changed = facts;
    mutation.apply(changed);
    CHECK(changed_facts(before, digest_facts(relevant_facts(host, changed))).empty());
  }
}

TEST_CASE("facts hash: a delivered secret counts by whether it matches, never by its digest") {
  // The probe's content digest is keyed per controller process, so the run
  // that applies a plan sees other digests than the run that made it.
  state::Host host = host_from_yaml("secrets:\n  token: { owner: root, mode: '0400' }\n",
                                    {{"secrets/token.age", "x"}});
  const std::string plaintext = "hunter2";
  secrets::SecretStore store;
  store.add("secrets/token.age", secrets::SecureBuffer(plaintext.data(), plaintext.size()));
  HostFacts facts;
  facts.secrets.directory = "directory";
  facts.secrets.fstype = "tmpfs";
  facts.secrets.mount_point = true;
  facts.secrets.owner = "root";
  facts.secrets.group = "root";
  facts.secrets.mode = 0751;
  facts.secrets.files["token"] = {"file", "root", "root", 0400, "a1"};
  FactDigests before = digest_facts(relevant_facts(host, facts, &store));
  for (const auto& [key, text] : relevant_facts(host, facts, &store))
    CHECK(text.find(plaintext) == std::string::npos);

  HostFacts other_process = facts;
  other_process.secrets.files["token"].digest = "b2";  // still not the declared value
  CHECK(changed_facts(before, digest_facts(relevant_facts(host, other_process, &store))).empty());

  std::vector<Mutation> relevant = {
      {"the file now holds the declared value",
       [&](HostFacts& f) {
         f.secrets.files["token"].digest = modules::secret_digest(
             host.name, secrets::SecureBuffer(plaintext.data(), plaintext.size()));
       },
       "secret token changed"},
      {"mode", [](HostFacts& f) { f.secrets.files["token"].mode = 0444; }, "secret token changed"},
      {"owner", [](HostFacts& f) { f.secrets.files["token"].owner = "nobody"; },
       "secret token changed"},
      {"removed", [](HostFacts& f) { f.secrets.files.erase("token"); }, "secret token changed"},
      {"an undeclared file",
       [](HostFacts& f) {
         f.secrets.files["stray"] = {"file", "", "", 0, ""};
       },
       "secrets /run/secrets changed"},
      {"tmpfs unmounted", [](HostFacts& f) { f.secrets.mount_point = false; },
       "secrets /run/secrets changed"},
  };
  for (const auto& mutation : relevant) {
    CAPTURE(std::string(mutation.what));
    HostFacts changed = facts;
    mutation.apply(changed);
    auto named = changed_facts(before, digest_facts(relevant_facts(host, changed, &store)));
    REQUIRE(named.size() == 1);
    CHECK(named[0] == mutation.named);
  }
  // A host without a secrets section is not judged by /run/secrets.
  state::Host plain = sample_host();
  HostFacts stray = sample_facts();
  stray.secrets.files["stray"] = {"file", "", "", 0, ""};
  CHECK(changed_facts(digest_facts(relevant_facts(plain, sample_facts())),
                      digest_facts(relevant_facts(plain, stray)))
            .empty());
}

TEST_CASE("facts hash: fail2ban and auto_updates count only where declared") {
  state::Host host =
      host_from_yaml("security:\n  fail2ban: { sshd: { maxretry: 3 } }\n  auto_updates: daily\n");
  state::Host plain = host_from_yaml("packages: [vim]\n");
  HostFacts base_facts;
  base_facts.fail2ban.packages["fail2ban"] = modules::PackageState::kInstalled;
  base_facts.fail2ban.jail_digest = "aa";
  base_facts.fail2ban.enabled = "enabled";
  base_facts.fail2ban.active = "active";
  base_facts.auto_updates.packages["unattended-upgrades"] = modules::PackageState::kInstalled;
  base_facts.auto_updates.settings_digest = "bb";
  base_facts.auto_updates.settings["APT::Periodic::Unattended-Upgrade"] = "1";
  base_facts.auto_updates.timers["apt-daily.timer"] = "enabled";
  std::vector<Mutation> mutations = {
      {"fail2ban removed",
       [](HostFacts& f) { f.fail2ban.packages["fail2ban"] = modules::PackageState::kMissing; },
       "fail2ban changed"},
      {"jail file edited", [](HostFacts& f) { f.fail2ban.jail_digest = "cc"; }, "fail2ban changed"},
      {"fail2ban disabled", [](HostFacts& f) { f.fail2ban.enabled = "disabled"; },
       "fail2ban changed"},
      {"fail2ban stopped", [](HostFacts& f) { f.fail2ban.active = "failed"; }, "fail2ban changed"},
      {"unattended-upgrades removed",
       [](HostFacts& f) {
         f.auto_updates.packages["unattended-upgrades"] = modules::PackageState::kMissing;
       },
       "auto_updates changed"},
      {"settings file edited", [](HostFacts& f) { f.auto_updates.settings_digest.reset(); },
       "auto_updates changed"},
      {"setting overridden",
       [](HostFacts& f) { f.auto_updates.settings["APT::Periodic::Unattended-Upgrade"] = "0"; },
       "auto_updates changed"},
      {"timer disabled",
       [](HostFacts& f) { f.auto_updates.timers["apt-daily.timer"] = "disabled"; },
       "auto_updates changed"},
  };
  FactDigests before = digest_facts(relevant_facts(host, base_facts));
  for (const auto& mutation : mutations) {
    CAPTURE(std::string(mutation.what));
    HostFacts facts = base_facts;
    mutation.apply(facts);
    auto changed = changed_facts(before, digest_facts(relevant_facts(host, facts)));
    REQUIRE(changed.size() == 1);
    CHECK(changed[0] == mutation.named);
    // A host that declares neither does not depend on them.
    CHECK(hash_of(plain, facts) == hash_of(plain, base_facts));
  }
}
