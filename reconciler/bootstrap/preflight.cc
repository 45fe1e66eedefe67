// The preflight probe. Sections are the modules' nonce-delimited ones
// (modules/probe.h), so nothing the machine prints can forge another
// section; the disk section is the disk planner's own probe and parser.

#include "reconciler/bootstrap/preflight.h"

#include <algorithm>
#include <charconv>

#include "reconciler/base/strings.h"

namespace reconcile::bootstrap {

namespace {

constexpr std::string_view kSystemProbe = R"sh(printf 'machine %s\n' "$(uname -m)"
awk '/^MemTotal:/ { print "memtotal", $2 } /^MemAvailable:/ { print "memavailable", $2 }' /proc/meminfo
if [ -d /sys/firmware/efi ]; then echo 'boot uefi'; else echo 'boot bios'; fi
printf 'init %s\n' "$(cat /proc/1/comm 2>/dev/null || echo unknown)"
printf 'hostname %s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || echo unknown)"
printf 'os %s\n' "$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || echo unknown)"
printf 'uid %s\n' "$(id -u)"
)sh";

// A resolver stub (systemd-resolved) hides the real servers behind
// 127.0.0.53; its own file lists them.
constexpr std::string_view kResolvProbe =
    R"sh(if grep -qs '^nameserver 127\.0\.0\.53' /etc/resolv.conf && [ -f /run/systemd/resolve/resolv.conf ]; then
  cat /run/systemd/resolve/resolv.conf
else
  cat /etc/resolv.conf 2>/dev/null || true
fi
)sh";

const std::string& section_text(const std::map<std::string, modules::SectionOutput>& sections,
                                const std::string& name) {
  static const std::string empty;
  auto it = sections.find(name);
  return it == sections.end() ? empty : it->second.text;
}

Status parse_system(std::string_view text, MachineFacts& facts) {
  for (const auto& line : split(text, '\n')) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string key = line.substr(0, space);
    std::string value(trim(line.substr(space + 1)));
    auto number = [&](uint64_t& out) -> Status {
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), out);
      if (error != std::errc() || end != value.data() + value.size()) {
        return data_loss("preflight: bad " + key + " value '" + value + "'");
      }
      return ok();
    };
    if (key == "machine") facts.machine = value;
    if (key == "boot") facts.boot_mode = value;
    if (key == "init") facts.init = value;
    if (key == "hostname") facts.hostname = value;
    if (key == "os") facts.os = value;
    if (key == "memtotal") TRY(number(facts.memory_bytes));
    if (key == "memavailable") TRY(number(facts.memory_available_bytes));
    if (key == "uid") {
      uint64_t uid = 0;
      TRY(number(uid));
      facts.uid = static_cast<int>(uid);
    }
  }
  if (facts.machine.empty() || facts.boot_mode.empty()) {
    return data_loss("preflight: the system section is incomplete");
  }
  facts.memory_bytes *= 1024;  // /proc/meminfo counts KiB
  facts.memory_available_bytes *= 1024;
  if (facts.machine == "x86_64") facts.arch = "amd64";
  if (facts.machine == "aarch64") facts.arch = "arm64";
  return ok();
}

}  // namespace

const std::vector<std::string>& probed_tools() {
  static const std::vector<std::string> tools = {
      "sfdisk",    "wipefs",   "blkid",      "lsblk",       "partx",      "mount",
      "chroot",    "tar",      "zstd",       "debootstrap", "kexec",      "mkfs.ext4",
      "mkfs.vfat", "mkfs.xfs", "mkfs.btrfs", "mkswap",      "cryptsetup", "pvcreate",
      "mdadm",     "udevadm",  "systemctl",  "apt-get"};
  return tools;
}

std::vector<modules::ProbeFragment> preflight_fragments(const std::vector<std::string>& devices) {
  std::string tools = "for rd_tool in";
  for (const auto& tool : probed_tools())
    tools += " " + tool;
  tools += "; do command -v \"$rd_tool\" >/dev/null 2>&1 && echo \"$rd_tool\"; done; true\n";
  return {
      {"system", std::string(kSystemProbe)},
      {"tools", tools},
      {"ip-addr", "ip -j addr 2>/dev/null || true\n"},
      {"route4", "ip -j -4 route show default 2>/dev/null || true\n"},
      {"route6", "ip -j -6 route show default 2>/dev/null || true\n"},
      {"resolv", std::string(kResolvProbe)},
      {"keys", "cat \"$HOME/.ssh/authorized_keys\" 2>/dev/null || true\n"},
      {"disk", disk::disk_probe_script(devices, "/mnt")},
  };
}

Result<MachineFacts> parse_preflight(
    const std::map<std::string, modules::SectionOutput>& sections) {
  MachineFacts facts;
  TRY(parse_system(section_text(sections, "system"), facts));
  for (const auto& line : split(section_text(sections, "tools"), '\n')) {
    std::string tool(trim(line));
    if (!tool.empty()) facts.tools.insert(tool);
  }
  facts.network =
      TRY(parse_network(section_text(sections, "ip-addr"), section_text(sections, "route4"),
                        section_text(sections, "route6"), section_text(sections, "resolv")));
  facts.authorized_keys = section_text(sections, "keys");
  facts.disks = TRY_CONTEXT("disk facts", disk::parse_disk_facts(section_text(sections, "disk")));
  return facts;
}

DiskUse target_disk_use(const disk::DiskFacts& facts, const std::vector<std::string>& devices,
                        const std::string& mount_root) {
  DiskUse use;
  std::set<std::string> numbers, paths;
  for (const auto& device : devices) {
    const disk::DeviceFacts* found = facts.find_device(device);
    if (found == nullptr) continue;
    for (const auto& node : found->nodes) {
      numbers.insert(node.maj_min);
      paths.insert(node.path);
    }
  }
  for (const auto& mount : facts.mounts) {
    if (numbers.count(mount.maj_min) == 0 && paths.count(mount.source) == 0) continue;
    std::string root = mount_root == "/" ? std::string() : mount_root;
    if (!root.empty() && (mount.target == root || starts_with(mount.target, root + "/"))) {
      continue;
    }
    if (mount.target == "/") use.holds_running_system = true;
    use.uses.push_back(mount.target + " (" + mount.source + ")");
  }
  for (const auto& swap : facts.swaps) {
    if (paths.count(swap) != 0) use.uses.push_back("swap " + swap);
  }
  return use;
}

disk::DiskFacts without_running_system(disk::DiskFacts facts,
                                       const std::vector<std::string>& devices) {
  std::set<std::string> numbers, paths;
  for (const auto& device : devices) {
    const disk::DeviceFacts* found = facts.find_device(device);
    if (found == nullptr) continue;
    for (const auto& node : found->nodes) {
      numbers.insert(node.maj_min);
      paths.insert(node.path);
    }
  }
  std::erase_if(facts.mounts, [&](const disk::MountEntry& mount) {
    return numbers.count(mount.maj_min) != 0 || paths.count(mount.source) != 0;
  });
  std::erase_if(facts.swaps, [&](const std::string& swap) { return paths.count(swap) != 0; });
  // The installer has no fstab under /mnt either.
  facts.fstab_exists = false;
  facts.fstab.clear();
  return facts;
}

}  // namespace reconcile::bootstrap
