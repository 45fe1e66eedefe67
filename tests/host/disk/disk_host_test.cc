// Disk layouts applied for real, on loop devices over sparse 4 GiB files in a
// temp dir. The probe and every step script run locally through
// `/bin/sh -s`, inside a private mount namespace that this process enters
// first, with mount_root a temp dir: nothing outside the namespace sees the
// mounts, and they vanish with the process. Loop devices are set to
// autoclear and detached by the fixture, so a failed test leaves none
// behind. Needs root; exits 77 (ctest SKIP_RETURN_CODE) when not root or when
// loop devices or mount namespaces are unavailable.

#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "disk-layouts/geometry.h"
#include "reconciler/base/shell.h"
#include "tests/host/disk/local_shell.h"
#include "tests/host/disk/loop_disks.h"

namespace reconcile::disk {
namespace {

using testing::apply_local;
using testing::load_example;
using testing::LoopDisks;
using testing::must_apply;
using testing::must_plan;
using testing::plan_local;
using testing::run_local_shell;
using testing::sh;
using testing::ShellResult;

// Applies `layout` to a blank image and checks what lsblk and blkid see.
void apply_and_verify(const std::string& name) {
  CAPTURE(name);
  LoopDisks image;
  DiskLayout layout = load_example(name);
  DiskPlan first = must_plan(layout, image.target());
  REQUIRE(first.has_destructive());
  must_apply(first);

  DiskPlan second = must_plan(layout, image.target());
  CHECK_MESSAGE(second.empty(), format_plan(second));

  std::string sizes = sh("lsblk -b -n -r -o TYPE,SIZE " + shell_quote(image.device()) +
                         " | awk '$1 == \"part\" { print $2 }'");
  Result<std::vector<PartitionGeometry>> geometry = layout_geometry(layout, 4ull << 30, 512);
  REQUIRE(geometry.has_value());
  std::string expected;
  for (const PartitionGeometry& part : *geometry)
    expected += std::to_string(part.size) + "\n";
  CHECK(sizes == expected);
  for (const Partition& partition : layout.partitions) {
    if (!partition.content.filesystem) continue;
    const Filesystem& fs = *partition.content.filesystem;
    std::string node = sh("rd_disk=" + shell_quote(image.device()) +
                          "\nlsblk -n -r -p -o PATH \"$rd_disk\" | sed -n " +
                          std::to_string(partition.number + 1) + "p");
    node = node.substr(0, node.find('\n'));
    CHECK(sh("blkid -p -s TYPE -o value " + shell_quote(node)) ==
          std::string(fs_type_name(fs.type)) + "\n");
    if (fs.label) {
      CHECK(sh("blkid -p -s LABEL -o value " + shell_quote(node)) == *fs.label + "\n");
    }
  }
  if (first.steps.size() > 1) {
    std::string fstab = sh("cat " + shell_quote(image.root() + "/etc/fstab"));
    CHECK(fstab.find("UUID=") == 0);
  }
}

TEST_CASE("each example layout applies to a blank image, and then plans empty") {
  SUBCASE("vps-gpt") {
    apply_and_verify("vps-gpt");
  }
  SUBCASE("swap-root") {
    apply_and_verify("swap-root");
  }
  SUBCASE("btrfs") {
    apply_and_verify("btrfs");
  }
}

TEST_CASE("a changed layout is refused without allow-destructive and applied with it") {
  LoopDisks image;
  DiskLayout layout = load_example("vps-gpt");
  must_apply(must_plan(layout, image.target()));
  image.unmount_all();

  layout.partitions[2].content.filesystem->type = FsType::kXfs;
  layout.partitions[2].content.filesystem->mount_options.clear();  // errors= is ext4's
  DiskPlan changed = must_plan(layout, image.target());
  REQUIRE(changed.has_destructive());
  REQUIRE(changed.steps[0].losses.size() == 1);
  CHECK(changed.steps[0].losses[0].find(": ext4 'root' (UUID ") != std::string::npos);
  uint64_t before = image.checksum();
  Status refused = apply_local(changed, /*allow_destructive=*/false);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message().find("--allow-destructive") != std::string::npos);
  CHECK(image.checksum() == before);

  must_apply(changed);
  CHECK(image.checksum() != before);  // the fingerprint does see writes
  DiskPlan after = must_plan(layout, image.target());
  CHECK_MESSAGE(after.empty(), format_plan(after));
  std::string root_type = sh("findmnt -n -o FSTYPE " + shell_quote(image.root()));
  CHECK(root_type == "xfs\n");
}

TEST_CASE("a device with an unknown extra partition is refused and untouched") {
  LoopDisks image;
  DiskLayout layout = load_example("vps-gpt");
  layout.partitions[2].size = Size{Size::Kind::kBytes, 2ull << 30, 0};
  must_apply(must_plan(layout, image.target()));
  image.unmount_all();
  // Someone else's partition after ours, with data on it.
  sh("rd_disk=" + shell_quote(image.device()) +
     "\necho ',,L' | sfdisk --quiet --append \"$rd_disk\"\npartx -u \"$rd_disk\" 2>/dev/null "
     "|| partx -a \"$rd_disk\" 2>/dev/null || true\nsleep 0.2\n"
     "mkfs.ext4 -q -L data \"$(lsblk -n -r -p -o PATH \"$rd_disk\" | sed -n 5p)\"");

  DiskPlan plan = must_plan(layout, image.target());
  REQUIRE(plan.has_destructive());
  CHECK(plan.steps[0].description == "delete partition(s) 4 of " + image.device());
  REQUIRE(plan.steps[0].losses.size() == 1);
  CHECK(plan.steps[0].losses[0].find("ext4 'data'") != std::string::npos);
  uint64_t before = image.checksum();
  REQUIRE_FALSE(apply_local(plan, /*allow_destructive=*/false).has_value());
  CHECK(image.checksum() == before);
  CHECK(sh("lsblk -n -r -o TYPE " + shell_quote(image.device()) + " | grep -c part") == "4\n");

  must_apply(plan);
  CHECK(image.checksum() != before);
  DiskPlan after = must_plan(layout, image.target());
  CHECK_MESSAGE(after.empty(), format_plan(after));
}

TEST_CASE("mounting over a mountpoint another device holds is refused") {
  LoopDisks image;
  DiskLayout layout = load_example("vps-gpt");
  sh("mount -t tmpfs reconcile-test " + shell_quote(image.root()));
  Result<DiskPlan> plan = plan_local(layout, image.target());
  REQUIRE_FALSE(plan.has_value());
  CHECK(plan.error().message() == image.root() +
                                      " is held by reconcile-test (tmpfs); not mounting "
                                      "partition 3 of " +
                                      image.device() + " over it");
}

// 0 when the tests can run here, else the reason to skip.
std::string environment_problem() {
  if (geteuid() != 0) return "needs root (loop devices, mounts)";
  if (access("/dev/loop-control", F_OK) != 0) return "no /dev/loop-control (loop devices)";
  for (const char* tool : {"losetup", "sfdisk", "wipefs", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs",
                           "mkfs.vfat", "mkswap", "partx"}) {
    Result<ShellResult> found = run_local_shell(std::string("command -v ") + tool);
    if (!found || found->exit_code != 0) return std::string("no ") + tool;
  }
  if (unshare(CLONE_NEWNS) != 0) return "cannot enter a private mount namespace";
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return "cannot make mounts private";
  }
  return "";
}

}  // namespace
}  // namespace reconcile::disk

int main(int argc, char** argv) {
  std::string problem = reconcile::disk::environment_problem();
  if (!problem.empty()) {
    std::printf("SKIP: disk host tests: %s\n", problem.c_str());
    return 77;
  }
  reconcile::Result<reconcile::disk::testing::ShellResult> vfat =
      reconcile::disk::testing::run_local_shell(
          "modprobe vfat 2>/dev/null || true\ngrep -qw vfat /proc/filesystems");
  reconcile::disk::testing::g_vfat_mounts = vfat && vfat->exit_code == 0;
  if (!reconcile::disk::testing::g_vfat_mounts) {
    std::printf("note: this kernel cannot mount vfat; ESPs are created and checked, not mounted\n");
  }
  doctest::Context context(argc, argv);
  return context.run();
}
