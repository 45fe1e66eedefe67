// Base facts every host reports: OS, kernel, architecture, boot mode, init
// system, package manager, memory, block devices, mounts, network, and
// whether /run/secrets is a tmpfs, and the commands health checks can use.
// The system module changes nothing.

#include <charconv>

#include "modules/module.h"
#include "modules/text.h"

namespace reconcile::modules {

namespace {

// Builtins where they do: every exec costs the host a fork, an exec and a
// dynamic link, which is most of a no-op run's CPU there. The kernel release
// and architecture, PID 1's name and the uid are read from /proc with the
// shell's `read` (string files, so byte-at-a-time reads see all of them);
// the commands are the fallbacks where /proc lacks them. Whether /run/secrets
// is a tmpfs comes from the mount table (the "mounts" section), except when
// /run/secrets is a symlink.
const char* kSystemProbe = R"SH(kernel= arch=
if [ -r /proc/sys/kernel/osrelease ] && [ -r /proc/sys/kernel/arch ]; then read -r kernel < /proc/sys/kernel/osrelease; read -r arch < /proc/sys/kernel/arch; fi
if [ -z "$kernel" ] || [ -z "$arch" ]; then release_machine=$(uname -r -m); kernel=${release_machine% *}; arch=${release_machine##* }; fi
printf 'kernel %s\narch %s\n' "$kernel" "$arch"
if [ -r /proc/sys/kernel/hostname ]; then read -r name < /proc/sys/kernel/hostname; else name=$(hostname); fi
printf 'hostname %s\n' "$name"
if [ -d /sys/firmware/efi ]; then echo 'boot uefi'; else echo 'boot bios'; fi
if [ -d /run/systemd/system ]; then echo 'init systemd'; elif [ -r /proc/1/comm ]; then read -r comm < /proc/1/comm; printf 'init %s\n' "${comm:-unknown}"; else echo 'init unknown'; fi
if command -v apt-get >/dev/null 2>&1; then echo 'pkg apt'; elif command -v pacman >/dev/null 2>&1; then echo 'pkg pacman'; else echo 'pkg none'; fi
while read -r key value unit; do if [ "$key" = MemTotal: ]; then printf 'mem_kib %s\n' "$value"; break; fi; done < /proc/meminfo
uid=
if [ -r /proc/self/status ]; then while read -r key real effective rest; do if [ "$key" = Uid: ]; then uid=$effective; break; fi; done < /proc/self/status; fi
printf 'uid %s\n' "${uid:-$(id -u)}"
if [ -L /run/secrets ]; then
  if [ "$(stat -f -c %T /run/secrets 2>/dev/null)" = tmpfs ]; then echo 'secrets_tmpfs yes'; else echo 'secrets_tmpfs no'; fi
elif [ -d /run/secrets ]; then echo 'secrets_dir yes'; else echo 'secrets_tmpfs no'; fi
for tool in curl wget bash nc python3 timeout; do if command -v "$tool" >/dev/null 2>&1; then printf 'tool %s\n' "$tool"; fi; done)SH";

// Small files through the shell's `read` rather than `cat`: a few hundred
// one-byte reads cost the host less than an exec. A last line without a
// newline gets one.
std::string print_lines(const std::string& path) {
  return "while IFS= read -r line || [ -n \"$line\" ]; do printf '%s\\n' \"$line\"; done < " + path;
}

// The file system type /run/secrets is on, from the mount table in the order
// the mounts were made: a later mount on a path hides the earlier mounts at
// and below it; of what is left, the deepest mount point above /run/secrets
// holds it.
std::string secrets_fstype(const std::vector<Mount>& mounts) {
  const std::string path = "/run/secrets";
  auto contains = [](const std::string& mount_point, const std::string& target) {
    if (mount_point == "/" || mount_point == target) return true;
    return target.size() > mount_point.size() &&
           target.compare(0, mount_point.size(), mount_point) == 0 &&
           target[mount_point.size()] == '/';
  };
  std::vector<const Mount*> visible;
  for (const Mount& mount : mounts) {
    std::erase_if(visible,
                  [&](const Mount* earlier) { return contains(mount.target, earlier->target); });
    visible.push_back(&mount);
  }
  const Mount* best = nullptr;
  for (const Mount* mount : visible) {
    if (contains(mount->target, path) &&
        (best == nullptr || mount->target.size() >= best->target.size())) {
      best = mount;
    }
  }
  return best == nullptr ? "" : best->fstype;
}

std::string unquote_os_release(std::string value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

nlohmann::json parse_json_or_null(const std::string& text) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

}  // namespace

std::vector<ProbeFragment> probe_system(const state::Host&) {
  return {
      {"system", kSystemProbe},
      {"os-release", "if [ -r /etc/os-release ]; then " + print_lines("/etc/os-release") +
                         "; elif [ -r /usr/lib/os-release ]; then " +
                         print_lines("/usr/lib/os-release") + "; fi"},
      {"mounts", print_lines("/proc/self/mounts")},
  };
}

std::vector<ProbeFragment> probe_inventory() {
  return {
      {"lsblk", "lsblk -J -b 2>/dev/null"},
      {"ip-addr", "ip -j addr 2>/dev/null"},
      {"ip-route", "ip -j route 2>/dev/null"},
  };
}

Status parse_system(const Sections& sections, const state::Host&, HostFacts& facts) {
  SystemFacts& system = facts.system;
  auto section = [&](const char* name) -> const std::string& {
    static const std::string empty;
    auto it = sections.find(name);
    return it == sections.end() ? empty : it->second.text;
  };
  bool secrets_dir = false;
  for (const auto& line : lines_of(section("system"))) {
    auto [key, value] = split_first(line);
    if (key == "kernel") system.kernel = value;
    if (key == "arch") system.architecture = value;
    if (key == "hostname") system.hostname = value;
    if (key == "boot") system.boot_mode = value;
    if (key == "init") system.init = value;
    if (key == "pkg") system.package_manager = value;
    if (key == "mem_kib") system.memory_bytes = std::strtoull(value.c_str(), nullptr, 10) * 1024;
    if (key == "uid") system.uid = std::atoi(value.c_str());
    if (key == "secrets_tmpfs") system.secrets_tmpfs = value == "yes";
    if (key == "secrets_dir") secrets_dir = value == "yes";
    if (key == "tool") system.tools.insert(value);
  }
  if (system.kernel.empty() || system.uid < 0) {
    return data_loss("the system probe printed no kernel or uid");
  }
  for (const auto& line : lines_of(section("os-release"))) {
    size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(0, equals);
    std::string value = unquote_os_release(line.substr(equals + 1));
    if (key == "ID") system.os_id = value;
    if (key == "VERSION_ID") system.os_version_id = value;
    if (key == "PRETTY_NAME") system.os_pretty_name = value;
  }
  system.block_devices = parse_json_or_null(section("lsblk"));
  system.interfaces = parse_json_or_null(section("ip-addr"));
  system.routes = parse_json_or_null(section("ip-route"));
  for (const auto& line : lines_of(section("mounts"))) {
    auto words = words_of(line);
    if (words.size() < 4) continue;
    system.mounts.push_back(
        {unescape_octal(words[0]), unescape_octal(words[1]), words[2], words[3]});
  }
  if (secrets_dir) system.secrets_tmpfs = secrets_fstype(system.mounts) == "tmpfs";
  return ok();
}

}  // namespace reconcile::modules
