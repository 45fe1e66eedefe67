#include "disk-layouts/planner.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "disk-layouts/geometry.h"
#include "disk-layouts/scripts.h"

namespace reconcile::disk {
namespace {

std::string read_source(const std::string& path) {
  std::ifstream in(std::string(RECONCILE_SOURCE_DIR) + "/" + path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

DiskLayout example(const std::string& name) {
  Result<YamlNode> root = parse_yaml(read_source("disk-layouts/" + name + ".yaml"), name);
  REQUIRE(root.has_value());
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse_disk_layout(*root, name, diagnostics);
  REQUIRE(layout.has_value());
  return *layout;
}

// The VPS layout as the canned facts were made: the ESP is not mounted,
// because the kernel that made them has no vfat.
DiskLayout vps_without_esp_mount() {
  DiskLayout layout = example("vps-gpt");
  layout.partitions[1].content.filesystem->mountpoint.reset();
  return layout;
}

DiskFacts canned(const std::string& name) {
  Result<DiskFacts> facts = parse_disk_facts(read_source("tests/data/disk/" + name));
  REQUIRE(facts.has_value());
  return facts.release_value();
}

DiskFacts blank_disks(std::vector<std::string> devices, uint64_t size) {
  DiskFacts facts;
  int minor = 0;
  for (const std::string& device : devices) {
    DeviceFacts disk;
    disk.device = device;
    disk.exists = true;
    disk.size = size;
    disk.nodes.push_back({device, "disk", "8:" + std::to_string(minor), size, "", {}, {}, 2});
    minor += 16;
    facts.devices.push_back(disk);
  }
  return facts;
}

const DiskTarget kLoop{{"/dev/loop0"}, "/tmp/dt/root"};

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

DiskPlan must_plan(const DiskLayout& layout, const DiskTarget& target, const DiskFacts& facts) {
  Result<DiskPlan> plan = plan_disk(layout, target, facts);
  REQUIRE_MESSAGE(plan.has_value(), plan.error().message());
  return plan.release_value();
}

std::string refusal(const DiskLayout& layout, const DiskTarget& target, const DiskFacts& facts) {
  Result<DiskPlan> plan = plan_disk(layout, target, facts);
  REQUIRE_MESSAGE(!plan.has_value(), format_plan(*plan));
  return plan.error().message();
}

TEST_CASE("sfdisk scripts match the golden files") {
  struct Golden {
    const char* layout;
    uint64_t size;
    const char* file;
  } goldens[] = {{"vps-gpt", 4ull << 30, "vps-gpt-4GiB.sfdisk"},
                 {"swap-root", 4ull << 30, "swap-root-4GiB.sfdisk"},
                 {"raid1", 100ull << 30, "raid1-100GiB.sfdisk"},
                 {"lvm", 100ull << 30, "lvm-100GiB.sfdisk"}};
  for (const Golden& golden : goldens) {
    CAPTURE(golden.file);
    DiskLayout layout = example(golden.layout);
    Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, golden.size, 512);
    REQUIRE(geometry.has_value());
    CHECK(sfdisk_script(layout, *geometry, 512) ==
          read_source(std::string("tests/data/disk/") + golden.file));
  }
}

TEST_CASE("a blank disk gets one destructive step, then mounts and fstab entries") {
  DiskPlan plan = must_plan(example("vps-gpt"), kLoop, canned("probe-blank.txt"));
  REQUIRE(plan.steps.size() == 5);
  const DiskStep& create = plan.steps[0];
  CHECK(create.destructive);
  CHECK(create.description ==
        "write a new gpt partition table with 3 partitions to /dev/loop0 and create their "
        "contents");
  CHECK(create.reason == "/dev/loop0: it holds no partition table");
  CHECK(create.losses == std::vector<std::string>{
                             "/dev/loop0 nothing recognizable (no partition table, no signature)"});
  CHECK(contains(create.script, "wipefs --all --quiet '/dev/loop0'\n"));
  CHECK(contains(create.script,
                 "| sfdisk --quiet --wipe always --wipe-partitions always '/dev/loop0'"));
  CHECK(contains(create.script, "mkfs.vfat -F 32 -n 'EFI' \"$rd_node2\" >/dev/null"));
  CHECK(contains(create.script, "mkfs.ext4 -F -q -L 'root' \"$rd_node3\""));
  CHECK(plan.steps[1].description == "mount partition 3 of /dev/loop0 (ext4) at /tmp/dt/root");
  CHECK(plan.steps[2].description ==
        "mount partition 2 of /dev/loop0 (vfat) at /tmp/dt/root/boot/efi");
  CHECK(contains(plan.steps[2].script, "mount -t 'vfat' -o 'umask=0077'"));
  CHECK(plan.steps[3].description ==
        "write 'UUID=<new> / ext4 errors=remount-ro 0 1' to /tmp/dt/root/etc/fstab");
  CHECK(plan.steps[4].description ==
        "write 'UUID=<new> /boot/efi vfat umask=0077 0 2' to /tmp/dt/root/etc/fstab");
  for (size_t i = 1; i < plan.steps.size(); ++i)
    CHECK_FALSE(plan.steps[i].destructive);

  Status refused = check_destructive_allowed(plan, false);
  REQUIRE_FALSE(refused.has_value());
  CHECK(contains(refused.error().message(), "--allow-destructive"));
  CHECK(contains(refused.error().message(), "would lose: /dev/loop0 nothing recognizable"));
  CHECK(check_destructive_allowed(plan, true).has_value());
}

TEST_CASE("a disk that matches, mounted, with its fstab entry, needs nothing") {
  DiskPlan plan = must_plan(vps_without_esp_mount(), kLoop, canned("probe-vps-mounted.txt"));
  CHECK_MESSAGE(plan.empty(), format_plan(plan));
  CHECK(format_plan(plan) == "no changes\n");
}

TEST_CASE("only safe things missing: mount, fstab, label, partition name") {
  SUBCASE("not mounted: mount, and the fstab inside the root is written afresh") {
    DiskPlan plan = must_plan(vps_without_esp_mount(), kLoop, canned("probe-vps-unmounted.txt"));
    REQUIRE(plan.steps.size() == 2);
    CHECK_FALSE(plan.has_destructive());
    CHECK(plan.steps[0].description == "mount partition 3 of /dev/loop0 (ext4) at /tmp/dt/root");
    CHECK(contains(plan.steps[0].script, "rd_node='/dev/loop0p3'"));
  }
  SUBCASE("the ESP is declared with a mountpoint but not mounted") {
    DiskPlan plan = must_plan(example("vps-gpt"), kLoop, canned("probe-vps-mounted.txt"));
    REQUIRE(plan.steps.size() == 2);
    CHECK(plan.steps[0].description ==
          "mount partition 2 of /dev/loop0 (vfat) at /tmp/dt/root/boot/efi");
    CHECK(plan.steps[1].reason == "it has no entry for /boot/efi");
    CHECK(plan.steps[1].description ==
          "write 'UUID=4624-0243 /boot/efi vfat umask=0077 0 2' to /tmp/dt/root/etc/fstab");
  }
  SUBCASE("a different label and partition name") {
    DiskLayout layout = vps_without_esp_mount();
    layout.partitions[2].content.filesystem->label = "system";
    layout.partitions[2].name = "system";
    DiskPlan plan = must_plan(layout, kLoop, canned("probe-vps-mounted.txt"));
    REQUIRE(plan.steps.size() == 2);
    CHECK_FALSE(plan.has_destructive());
    CHECK(plan.steps[0].description == "name partition 3 of /dev/loop0 'system'");
    CHECK(plan.steps[0].reason == "its name is 'root'");
    CHECK(contains(plan.steps[0].script, "sfdisk --quiet --part-label '/dev/loop0' 3 'system'"));
    CHECK(plan.steps[1].description == "label the ext4 filesystem on /dev/loop0p3 'system'");
    CHECK(contains(plan.steps[1].script, "e2label '/dev/loop0p3' 'system'"));
  }
  SUBCASE("a stale fstab entry") {
    DiskFacts facts = canned("probe-vps-mounted.txt");
    facts.fstab[0].options = "defaults";
    DiskPlan plan = must_plan(vps_without_esp_mount(), kLoop, facts);
    REQUIRE(plan.steps.size() == 1);
    CHECK(contains(plan.steps[0].reason, "its entry (line 1) reads 'UUID=96e18e20"));
  }
}

TEST_CASE("destructive changes are one step per device that names the losses") {
  SUBCASE("a partition resized: the whole table is rewritten") {
    DiskLayout layout = vps_without_esp_mount();
    layout.partitions[1].size.bytes = 256 * kMiB;
    DiskPlan plan = must_plan(layout, kLoop, canned("probe-vps-unmounted.txt"));
    REQUIRE(plan.steps[0].destructive);
    CHECK(plan.steps[0].reason ==
          "/dev/loop0: partition 2 is 512 MiB at 2 MiB, the layout wants 256 MiB at 2 MiB");
    REQUIRE(plan.steps[0].losses.size() == 3);
    CHECK(plan.steps[0].losses[1] ==
          "/dev/loop0 partition 2 (/dev/loop0p2, 512 MiB at 2 MiB, EFI System, name 'esp'): vfat "
          "'EFI' (UUID 4624-0243)");
    CHECK(plan.steps[0].losses[2] ==
          "/dev/loop0 partition 3 (/dev/loop0p3, 3581 MiB (3.5 GiB) at 514 MiB, Linux "
          "filesystem, name 'root'): ext4 'root' (UUID 96e18e20-ad41-44f1-8bbf-218f041cf8ce)");
    CHECK(contains(plan.steps[0].script,
                   "if [ -b '/dev/loop0p3' ]; then wipefs --all --quiet '/dev/loop0p3'; fi"));
    int destructive = 0;
    for (const DiskStep& step : plan.steps)
      destructive += step.destructive;
    CHECK(destructive == 1);
  }
  SUBCASE("a filesystem type changed: only that partition is recreated") {
    DiskLayout layout = vps_without_esp_mount();
    layout.partitions[2].content.filesystem->type = FsType::kXfs;
    DiskPlan plan = must_plan(layout, kLoop, canned("probe-vps-unmounted.txt"));
    REQUIRE(plan.steps[0].destructive);
    CHECK(plan.steps[0].description == "create xfs on /dev/loop0p3");
    CHECK(plan.steps[0].reason ==
          "/dev/loop0: partition 3 holds ext4 'root' (UUID 96e18e20-ad41-44f1-8bbf-218f041cf8ce), "
          "the layout wants xfs");
    REQUIRE(plan.steps[0].losses.size() == 1);
    CHECK(contains(plan.steps[0].script,
                   "wipefs --all --quiet '/dev/loop0p3'\n"
                   "rd_node1='/dev/loop0p3'\n"
                   "mkfs.xfs -f -q -L 'root' \"$rd_node1\"\n"));
    CHECK_FALSE(contains(plan.steps[0].script, "sfdisk"));
  }
  SUBCASE("a partition the layout does not declare") {
    DiskFacts facts = canned("probe-vps-unmounted.txt");
    DeviceFacts& device = facts.devices[0];
    device.partitions.push_back({4, "/dev/loop0p4", 4000ull << 20, 10ull << 20,
                                 "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "", ""});
    device.nodes.push_back({"/dev/loop0p4", "part", "259:3", 10ull << 20, "/dev/loop0", {}, {}, 0});
    device.nodes.back().signature.type = "ext4";
    device.nodes.back().signature.label = "data";
    DiskLayout layout = vps_without_esp_mount();
    layout.partitions[2].size = Size{Size::Kind::kBytes, 3000 * kMiB, 0};
    // With rest the geometry no longer matches; with a fixed size only p4 is extra.
    facts.devices[0].partitions[2].size = 3000ull << 20;
    DiskPlan plan = must_plan(layout, kLoop, facts);
    REQUIRE(plan.steps[0].destructive);
    CHECK(plan.steps[0].description == "delete partition(s) 4 of /dev/loop0");
    REQUIRE(plan.steps[0].losses.size() == 1);
    CHECK(plan.steps[0].losses[0] ==
          std::string{"/dev/loop0 partition 4 (/dev/loop0p4, 10 MiB at 4000 MiB (3.9 GiB), "
                      "Linux filesystem): ext4 'data'"});
    CHECK(contains(plan.steps[0].script,
                   "sfdisk --quiet --delete '/dev/loop0' 4\nrd_settle\npartx -u '/dev/loop0'"));
  }
}

TEST_CASE("unknown, ambiguous or busy states are refused, never guessed") {
  DiskLayout layout = vps_without_esp_mount();
  SUBCASE("missing device") {
    DiskTarget target{{"/dev/nonexistent"}, "/tmp/dt/root"};
    CHECK(refusal(layout, target, canned("probe-missing.txt")) ==
          "/dev/nonexistent does not exist or is not a block device");
  }
  SUBCASE("conflicting signatures") {
    DiskFacts facts = canned("probe-vps-unmounted.txt");
    facts.devices[0].nodes[3].signature.ambivalent = true;
    layout.partitions[2].content.filesystem->type = FsType::kXfs;
    CHECK(contains(refusal(layout, kLoop, facts), "/dev/loop0p3 carries conflicting signatures"));
  }
  SUBCASE("the kernel's view differs from the table") {
    DiskFacts facts = canned("probe-vps-unmounted.txt");
    facts.devices[0].nodes.pop_back();
    CHECK(contains(refusal(layout, kLoop, facts),
                   "the partition table lists 3 partitions but the kernel knows 2"));
  }
  SUBCASE("reformatting a mounted filesystem") {
    layout.partitions[2].content.filesystem->type = FsType::kXfs;
    CHECK(refusal(layout, kLoop, canned("probe-vps-mounted.txt")) ==
          "refusing to rewrite /dev/loop0 while it is in use: /dev/loop0p3 is mounted at "
          "/tmp/dt/root");
  }
  SUBCASE("a mountpoint another device holds") {
    DiskFacts facts = canned("probe-vps-mounted.txt");
    facts.mounts.push_back({"8:17", "/", "/tmp/dt/root/boot/efi", "ext4", "/dev/sdb1", "rw"});
    CHECK(refusal(example("vps-gpt"), kLoop, facts) ==
          "/tmp/dt/root/boot/efi is held by /dev/sdb1 (ext4); not mounting partition 2 of "
          "/dev/loop0 over it");
  }
  SUBCASE("the root of a running system is held by the running root") {
    DiskTarget target{{"/dev/loop0"}, "/"};
    CHECK(refusal(example("vps-gpt"), target, canned("probe-blank.txt")) ==
          "/ is held by /dev/vda (ext4); not mounting partition 3 of /dev/loop0 over it");
    DiskTarget other{{"/dev/sdz"}, "/mnt"};
    CHECK(refusal(example("vps-gpt"), other, canned("probe-blank.txt")) ==
          "the probe has no facts for /dev/sdz");
  }
  SUBCASE("sizes that do not fit the device") {
    DiskFacts facts = blank_disks({"/dev/sda"}, 256ull << 20);
    DiskTarget target{{"/dev/sda"}, "/mnt"};
    CHECK(contains(refusal(layout, target, facts), "/dev/sda: the partitions need 514 MiB"));
  }
  SUBCASE("target does not fit the layout") {
    DiskTarget two{{"/dev/sda", "/dev/sdb"}, "/mnt"};
    Result<DiskPlan> plan =
        plan_disk(layout, two, blank_disks({"/dev/sda", "/dev/sdb"}, 8ull << 30));
    REQUIRE_FALSE(plan.has_value());
    CHECK(plan.error().code() == ErrorCode::kInvalidArgument);
    DiskTarget hostile{{"/dev/sda'; reboot"}, "/mnt"};
    CHECK_FALSE(plan_disk(layout, hostile, blank_disks({"/dev/sda"}, 8ull << 30)).has_value());
  }
}

TEST_CASE("LVM on a blank disk: pvcreate, vgcreate, lvcreate with the rest last") {
  DiskTarget target{{"/dev/sda"}, "/mnt"};
  DiskPlan plan = must_plan(example("lvm"), target, blank_disks({"/dev/sda"}, 100ull << 30));
  const std::string& script = plan.steps[0].script;
  CHECK(contains(script, "pvcreate -ff -y -q \"$rd_node4\"\n"));
  CHECK(contains(script, "vgcreate -q 'vg0' \"$rd_node4\"\n"));
  size_t root = script.find("lvcreate -q -y -W y -l '50%VG' -n 'root' 'vg0'");
  size_t swap = script.find("lvcreate -q -y -W y -L '536870912b' -n 'swap' 'vg0'");
  size_t home = script.find("lvcreate -q -y -W y -l '100%FREE' -n 'home' 'vg0'");
  REQUIRE(root != std::string::npos);
  REQUIRE(swap != std::string::npos);
  REQUIRE(home != std::string::npos);
  CHECK(root < swap);
  CHECK(swap < home);
  CHECK(contains(script, "mkfs.xfs -f -q -L 'home' \"$rd_node"));
  CHECK(contains(script, "rd_node7='/dev/vg0/home'"));
  CHECK(contains(format_plan(plan), "mount logical volume vg0/root (ext4) at /mnt\n"));
  CHECK(contains(format_plan(plan), "'UUID=<new> none swap sw 0 0'"));
}

TEST_CASE("RAID1 across two blank disks is one destructive step") {
  DiskTarget target{{"/dev/sda", "/dev/sdb"}, "/mnt"};
  DiskLayout layout = example("raid1");
  DiskPlan plan = must_plan(layout, target, blank_disks({"/dev/sda", "/dev/sdb"}, 100ull << 30));
  int destructive = 0;
  for (const DiskStep& step : plan.steps)
    destructive += step.destructive;
  CHECK(destructive == 1);
  CHECK(plan.steps[0].device == "/dev/sda /dev/sdb");
  const std::string& script = plan.steps[0].script;
  CHECK(contains(script,
                 "mdadm --create '/dev/md/root' --run --level=1 --metadata='1.2' "
                 "--raid-devices=2 \"$rd_node3\" \"$rd_node6\"\n"));
  CHECK(contains(script, "mkswap -L 'swap' \"$rd_node"));
  CHECK(contains(format_plan(plan), "mount raid array root (ext4) at /mnt"));
  CHECK(contains(refusal(layout, {{"/dev/sda"}, "/mnt"}, blank_disks({"/dev/sda"}, 8ull << 30)),
                 "needs 2 device(s)"));
}

TEST_CASE("LUKS reads its key from stdin into a tmpfs file, never the disk") {
  DiskTarget target{{"/dev/vdb"}, "/mnt"};
  DiskPlan plan = must_plan(example("encrypted"), target, blank_disks({"/dev/vdb"}, 20ull << 30));
  const DiskStep& create = plan.steps[0];
  CHECK(create.secret_input == "disk-key");
  CHECK(contains(create.script, "rd_key=$(mktemp /dev/shm/reconcile-key.XXXXXX"));
  CHECK(contains(create.script, "trap 'rm -f \"$rd_key\"' EXIT\ncat > \"$rd_key\"\n"));
  CHECK(contains(
      create.script,
      "cryptsetup luksFormat --type luks2 --batch-mode --key-file \"$rd_key\" \"$rd_node3\""));
  CHECK(
      contains(create.script, "cryptsetup open --key-file \"$rd_key\" \"$rd_node3\" 'cryptroot'"));
  CHECK(contains(create.script, "rd_settle\nmkfs.xfs -f -q -L 'root' '/dev/mapper/cryptroot'\n"));
  CHECK(contains(format_plan(plan), "reads the secret 'disk-key'"));
}

TEST_CASE("an open LUKS container whose filesystem is mounted needs nothing") {
  // The probe of a loop device the encrypted example was applied to (in the
  // host_disk_vm guest). The filesystem inside the container was once placed
  // through a temporary copy of the layout, and planning read freed memory.
  DiskTarget target{{"/dev/loop0"}, "/mnt"};
  DiskPlan plan = must_plan(example("encrypted"), target, canned("probe-encrypted-open.txt"));
  CHECK_MESSAGE(plan.empty(), format_plan(plan));
}

TEST_CASE("btrfs subvolumes are created with the filesystem and mounted by subvol") {
  DiskTarget target{{"/dev/sdc"}, "/mnt"};
  DiskPlan plan = must_plan(example("btrfs"), target, blank_disks({"/dev/sdc"}, 20ull << 30));
  CHECK(contains(plan.steps[0].script, "btrfs subvolume create \"$rd_mnt\"/'@home' >/dev/null"));
  std::string text = format_plan(plan);
  CHECK(contains(text, "mount partition 2 of /dev/sdc subvolume @ (btrfs) at /mnt\n"));
  CHECK(contains(text, "'UUID=<new> /home btrfs subvol=@home,compress=zstd 0 0'"));
  size_t root = text.find("at /mnt\n"), log = text.find("at /mnt/var/log\n");
  CHECK(root < log);
}

TEST_CASE("hostile values reach scripts only quoted") {
  DiskTarget target{{"/dev/sdc"}, "/mnt/it's$(reboot)"};
  DiskPlan plan = must_plan(example("vps-gpt"), target, blank_disks({"/dev/sdc"}, 20ull << 30));
  bool found = false;
  for (const DiskStep& step : plan.steps) {
    if (contains(step.script, "rd_target='/mnt/it'\\''s$(reboot)'\n")) found = true;
  }
  CHECK(found);
}

}  // namespace
}  // namespace reconcile::disk
