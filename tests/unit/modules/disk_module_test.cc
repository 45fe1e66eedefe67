// The disk module's use of the secrets store: a LUKS key is decrypted by the
// controller and streamed to the step's script on stdin; a key that is not
// decrypted refuses the host's plan; a key missing from the repository is a
// load error at the layout's line.

#include <doctest/doctest.h>

#include "secrets/store.h"
#include "tests/unit/modules/module_test_util.h"

using namespace reconcile;
using namespace reconcile::modules;
using namespace reconcile::testing;

namespace {

const char* kLayout =
    "table: gpt\n"
    "partitions:\n"
    "  - { size: 512MiB, type: esp, filesystem: { type: vfat, mountpoint: /boot/efi } }\n"
    "  - size: rest\n"
    "    type: linux\n"
    "    luks: { key: disk-key, name: cryptroot }\n"
    "    filesystem: { type: ext4, mountpoint: / }\n";

state::Host encrypted_host() {
  return host_from_yaml("disk: { layout: enc, device: /dev/vdb, mount_root: /mnt }\n",
                        {{"disk-layouts/enc.yaml", kLayout}, {"secrets/disk-key.age", "x"}});
}

HostFacts blank_disk() {
  HostFacts facts;
  disk::DiskFacts disks;
  disk::DeviceFacts device;
  device.device = "/dev/vdb";
  device.exists = true;
  device.size = 4ull << 30;
  device.nodes.push_back({"/dev/vdb", "disk", "8:16", device.size, "", {}, {}, 2});
  disks.devices.push_back(device);
  facts.disk = disks;
  return facts;
}

}  // namespace

TEST_CASE("disk: the LUKS key from the secrets store goes to the step on stdin") {
  state::Host host = encrypted_host();
  HostFacts facts = blank_disk();
  secrets::SecretStore store;
  const std::string key = "correct horse battery staple";
  store.add("secrets/disk-key.age", secrets::SecureBuffer(key.data(), key.size()));
  std::vector<std::string> refusals;
  std::vector<Change> changes;
  diff_disk({host, facts, &refusals, &store}, changes);
  CHECK(refusals.empty());
  int with_key = 0;
  for (const auto& change : changes) {
    if (!change.secret_input) continue;
    ++with_key;
    CHECK(change.sensitive);
    CHECK(change.secret_input->view() == key);
    CHECK(change.script.find("cryptsetup luksFormat") != std::string::npos);
    CHECK(change.script.find(key) == std::string::npos);
  }
  CHECK(with_key == 1);
}

TEST_CASE("disk: a LUKS key that was not decrypted refuses the host's plan") {
  state::Host host = encrypted_host();
  HostFacts facts = blank_disk();
  std::vector<std::string> refusals;
  std::vector<Change> changes;
  diff_disk({host, facts, &refusals, nullptr}, changes);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0] ==
        "disk layout 'enc': the LUKS key 'disk-key' (secrets/disk-key.age) cannot be read: it "
        "was not decrypted in this run");

  secrets::SecretStore store;
  store.add("secrets/disk-key.age", unauthenticated("no identity matched"));
  refusals.clear();
  changes.clear();
  diff_disk({host, facts, &refusals, &store}, changes);
  REQUIRE(refusals.size() == 1);
  CHECK(refusals[0].find("cannot be read: no identity matched") != std::string::npos);
}

TEST_CASE("disk: a LUKS key missing from secrets/ is a load error at the layout") {
  state::MemorySource source({{"reconcile.yaml", ""},
                              {"disk-layouts/enc.yaml", kLayout},
                              {"hosts/h.yaml", "disk: { layout: enc, device: /dev/vdb }\n"}});
  state::LoadResult result = state::load_repo(source);
  REQUIRE(result.diagnostics.items().size() == 1);
  const auto& d = result.diagnostics.items()[0];
  CHECK(d.location.file == "disk-layouts/enc.yaml");
  CHECK(d.location.line == 6);
  CHECK(d.message ==
        "luks key 'disk-key': 'secrets/disk-key.age' does not exist in the repository");
}
