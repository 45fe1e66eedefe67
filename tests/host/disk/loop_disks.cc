#include "tests/host/disk/loop_disks.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "reconciler/base/shell.h"
#include "tests/host/disk/local_shell.h"

namespace reconcile::disk::testing {

bool g_vfat_mounts = false;

namespace {

// Tears down whatever is stacked on the given loop devices, holders first:
// volume groups whose physical volumes sit on them (deactivated and
// removed), then, walking /sys/class/block, swap, device-mapper nodes (LUKS
// mappings, leftover logical volumes) and md arrays. Names come from sysfs,
// so nothing that is not built on these devices is touched. Best effort:
// every command runs, failures are reported on stderr.
constexpr std::string_view kTearDown = R"sh(
rd_nodes() {
  [ -e "/sys/class/block/$1" ] || return 0
  echo "/dev/$1"
  for rd_p in /sys/class/block/"$1"/"$1"*; do
    if [ -f "$rd_p/partition" ]; then rd_nodes "${rd_p##*/}"; fi
  done
  for rd_h in /sys/class/block/"$1"/holders/*; do
    if [ -e "$rd_h" ]; then rd_nodes "${rd_h##*/}"; fi
  done
}
rd_down() {
  [ -e "/sys/class/block/$1" ] || return 0
  for rd_h in /sys/class/block/"$1"/holders/*; do
    if [ -e "$rd_h" ]; then rd_down "${rd_h##*/}"; fi
  done
  for rd_p in /sys/class/block/"$1"/"$1"*; do
    if [ -f "$rd_p/partition" ]; then rd_down "${rd_p##*/}"; fi
  done
  if grep -q "^/dev/$1 " /proc/swaps; then swapoff "/dev/$1"; fi
  case $1 in
    dm-*) dmsetup remove --retry "$(cat "/sys/class/block/$1/dm/name")" ;;
    md*) mdadm --stop --quiet "/dev/$1" ;;
  esac
}
rd_ours=$(for rd_d in $rd_loops; do rd_nodes "$rd_d"; done | sort -u)
if command -v pvs >/dev/null 2>&1; then
  pvs --noheadings -o pv_name,vg_name 2>/dev/null | while read -r rd_pv rd_vg; do
    [ -n "$rd_vg" ] || continue
    if printf '%s\n' "$rd_ours" | grep -qxF "$(readlink -f "$rd_pv")"; then echo "$rd_vg"; fi
  done | sort -u | while read -r rd_vg; do
    vgchange -an -q "$rd_vg" >/dev/null
    vgremove -ff -y -q "$rd_vg" >/dev/null
  done
fi
for rd_d in $rd_loops; do rd_down "$rd_d"; done
)sh";

}  // namespace

std::string sh(const std::string& script) {
  Result<ShellResult> result = run_local_shell("set -eu\n" + script);
  REQUIRE(result.has_value());
  REQUIRE_MESSAGE(result->exit_code == 0, std::string(script + "\n" + result->err));
  return result->out;
}

LoopDisks::LoopDisks(int count, uint64_t size) {
  char dir[] = "/tmp/reconcile-disk-test.XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  m_dir = dir;
  m_root = m_dir + "/root";
  sh("mkdir " + shell_quote(m_root));
  for (int i = 0; i < count; ++i) {
    std::string image = m_dir + "/disk" + std::to_string(i) + ".img";
    sh("truncate -s " + std::to_string(size) + " " + shell_quote(image));
    m_images.push_back(image);
    std::string device = sh("losetup --find --show --partscan " + shell_quote(image));
    m_devices.push_back(device.substr(0, device.find('\n')));
    // Autoclear: should this process die, the kernel detaches the device
    // once its last user (this descriptor, the namespace's mounts) is gone.
    int fd = open(m_devices.back().c_str(), O_RDWR | O_CLOEXEC);
    loop_info64 info{};
    if (fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) == 0) {
      info.lo_flags |= LO_FLAGS_AUTOCLEAR;
      ioctl(fd, LOOP_SET_STATUS64, &info);
    }
    m_fds.push_back(fd);
  }
}

LoopDisks::~LoopDisks() {
  unmount_all();
  tear_down_stacks();
  for (int fd : m_fds) {
    if (fd >= 0) close(fd);
  }
  std::string script;
  for (const std::string& device : m_devices)
    script += "losetup -d " + shell_quote(device) + " 2>/dev/null\n";
  (void)run_local_shell(script + "rm -rf " + shell_quote(m_dir));
}

void LoopDisks::unmount_all() {
  (void)run_local_shell("if mountpoint -q " + shell_quote(m_root) + "; then umount -R " +
                        shell_quote(m_root) + "; fi");
}

void LoopDisks::tear_down_stacks() {
  std::string loops;
  for (const std::string& device : m_devices)
    loops += " " + device.substr(device.rfind('/') + 1);
  Result<ShellResult> result =
      run_local_shell("rd_loops=" + shell_quote(loops) + "\n" + std::string(kTearDown));
  if (result && !result->err.empty()) MESSAGE("tear-down: " << result->err);
}

// FNV-1a over the offsets and bytes of the image's data extents (holes read
// as zeros and are skipped, so hashing a mostly sparse 4 GiB file takes a
// moment, not a minute). Identical content laid out differently could only
// make it report a change, never hide one.
uint64_t LoopDisks::checksum(size_t index) const {
  int fd = open(m_images.at(index).c_str(), O_RDONLY | O_CLOEXEC);
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
      ssize_t got = pread(fd, buffer.data(),
                          std::min<off_t>(end - offset, static_cast<off_t>(buffer.size())), offset);
      REQUIRE(got > 0);
      mix(buffer.data(), static_cast<size_t>(got));
      offset += got;
    }
  }
  close(fd);
  return hash;
}

DiskLayout load_example(const std::string& name) {
  Result<DiskLayout> layout =
      load_layout_file(std::string(RECONCILE_SOURCE_DIR) + "/disk-layouts/" + name + ".yaml", name);
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

void must_apply(const DiskPlan& plan, const std::map<std::string, std::string>& secrets) {
  Status status = apply_local(plan, /*allow_destructive=*/true, secrets);
  REQUIRE_MESSAGE(status.has_value(), status.error().message());
}

}  // namespace reconcile::disk::testing
