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

namespace reconcile::disk {
namespace {

using testing::apply_local;
using testing::plan_local;
using testing::run_local_shell;
using testing::ShellResult;

bool g_vfat_mounts = false;

std::string sh(const std::string& script) {
  Result<ShellResult> result = run_local_shell("set -eu\n" + script);
  REQUIRE(result.has_value());
  REQUIRE_MESSAGE(result->exit_code == 0, std::string(script + "\n" + result->err));
  return result->out;
}

// A sparse image file attached to a loop device, and a mount root, all under
// one temp dir; everything is undone in the destructor.
class LoopImage {
 public:
  LoopImage() {
    char dir[] = "/tmp/reconcile-disk-test.XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    m_dir = dir;
    m_root = m_dir + "/root";
    m_image = m_dir + "/disk.img";
    sh("mkdir " + shell_quote(m_root) + "\ntruncate -s 4G " + shell_quote(m_image));
    std::string device = sh("losetup --find --show --partscan " + shell_quote(m_image));
    m_device = device.substr(0, device.find('\n'));
    // Autoclear: should this process die, the kernel detaches the device
    // once its last user (this descriptor, the namespace's mounts) is gone.
    m_fd = open(m_device.c_str(), O_RDWR | O_CLOEXEC);
    loop_info64 info{};
    if (m_fd >= 0 && ioctl(m_fd, LOOP_GET_STATUS64, &info) == 0) {
      info.lo_flags |= LO_FLAGS_AUTOCLEAR;
      ioctl(m_fd, LOOP_SET_STATUS64, &info);
    }
  }

  ~LoopImage() {
    unmount_all();
    if (m_fd >= 0) close(m_fd);
    (void)run_local_shell("losetup -d " + shell_quote(m_device) + " 2>/dev/null\nrm -rf " +
                          shell_quote(m_dir));
  }

  void unmount_all() {
    (void)run_local_shell("if mountpoint -q " + shell_quote(m_root) + "; then umount -R " +
                          shell_quote(m_root) + "; fi");
  }

  // A fingerprint of the image's content: FNV-1a over the offsets and bytes
  // of its data extents (holes read as zeros and are skipped, so hashing a
  // mostly sparse 4 GiB file takes a moment, not a minute). Any write
  // changes it; identical content laid out differently could only make it
  // report a change, never hide one.
  uint64_t checksum() const {
    int fd = open(m_image.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    uint64_t hash = 1469598103934665603ull;
    auto mix = [&](const unsigned char* bytes, size_t size) {
      for (size_t i = 0; i < size; ++i)
        hash = (hash ^ bytes[i]) * 1099511628211ull;
    };
    std::vector<unsigned char> buffer(1 << 20);
    off_t offset = 0;
    while ((offset = lseek(fd, offset, SEEK_DATA)) >= 0) {
      off_t end = lseek(fd, offset, SEEK_HOLE);
      mix(reinterpret_cast<const unsigned char*>(&offset), sizeof offset);
      while (offset < end) {
        ssize_t got =
            pread(fd, buffer.data(),
                  std::min<off_t>(end - offset, static_cast<off_t>(buffer.size())), offset);
        REQUIRE(got > 0);
        mix(buffer.data(), static_cast<size_t>(got));
        offset += got;
      }
    }
    close(fd);
    return hash;
  }

  DiskTarget target() const { return {{m_device}, m_root}; }
  const std::string& device() const { return m_device; }
  const std::string& root() const { return m_root; }

 private:
  std::string m_dir, m_root, m_image, m_device;
  int m_fd = -1;
};

DiskLayout load_example(const std::string& name) {
  Result<DiskLayout> layout = testing::load_layout_file(
      std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts/" + name + ".yaml", name);
  REQUIRE_MESSAGE(layout.has_value(), layout.error().message());
  DiskLayout out = layout.release_value();
  if (!g_vfat_mounts) {
    // This kernel cannot mount FAT: the ESP is still created, typed, labelled
    // and checked, but not mounted.
    for (Partition& partition : out.partitions) {
      if (partition.content.filesystem && partition.content.filesystem->type == FsType::kVfat) {
        partition.content.filesystem->mountpoint.reset();
      }
    }
  }
  return out;
}

DiskPlan must_plan(const DiskLayout& layout, const DiskTarget& target) {
  Result<DiskPlan> plan = plan_local(layout, target);
  REQUIRE_MESSAGE(plan.has_value(), plan.error().message());
  return plan.release_value();
}

void must_apply(const DiskPlan& plan) {
  Status status = apply_local(plan, /*allow_destructive=*/true);
  REQUIRE_MESSAGE(status.has_value(), status.error().message());
}

// Applies `layout` to a blank image and checks what lsblk and blkid see.
void apply_and_verify(const std::string& name) {
  CAPTURE(name);
  LoopImage image;
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
  LoopImage image;
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
  LoopImage image;
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
  LoopImage image;
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
  reconcile::disk::g_vfat_mounts = vfat && vfat->exit_code == 0;
  if (!reconcile::disk::g_vfat_mounts) {
    std::printf("note: this kernel cannot mount vfat; ESPs are created and checked, not mounted\n");
  }
  doctest::Context context(argc, argv);
  return context.run();
}
