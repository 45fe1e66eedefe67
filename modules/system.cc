// Base facts every host reports: OS, kernel, architecture, boot mode, init
// system, package manager, memory, block devices, mounts, network, and
// whether /run/secrets is a tmpfs, and the commands health checks can use.
// The system module changes nothing.

#include <charconv>

#include "modules/module.h"
#include "modules/text.h"

namespace reconcile::modules {

namespace {

const char* kSystemProbe = R"SH(printf 'kernel %s\n' "$(uname -r)"
printf 'arch %s\n' "$(uname -m)"
printf 'hostname %s\n' "$(cat /proc/sys/kernel/hostname 2>/dev/null || hostname)"
if [ -d /sys/firmware/efi ]; then echo 'boot uefi'; else echo 'boot bios'; fi
if [ -d /run/systemd/system ]; then echo 'init systemd'; else printf 'init %s\n' "$(cat /proc/1/comm 2>/dev/null || echo unknown)"; fi
if command -v apt-get >/dev/null 2>&1; then echo 'pkg apt'; elif command -v pacman >/dev/null 2>&1; then echo 'pkg pacman'; else echo 'pkg none'; fi
while read -r key value unit; do if [ "$key" = MemTotal: ]; then printf 'mem_kib %s\n' "$value"; fi; done < /proc/meminfo
printf 'uid %s\n' "$(id -u)"
if [ "$(stat -f -c %T /run/secrets 2>/dev/null)" = tmpfs ]; then echo 'secrets_tmpfs yes'; else echo 'secrets_tmpfs no'; fi
for tool in curl wget bash nc python3 timeout; do if command -v "$tool" >/dev/null 2>&1; then printf 'tool %s\n' "$tool"; fi; done)SH";

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
      {"os-release", "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null"},
      {"lsblk", "lsblk -J -b 2>/dev/null"},
      {"mounts", "cat /proc/self/mounts"},
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
  return ok();
}

}  // namespace reconcile::modules
