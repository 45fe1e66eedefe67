#pragma once

// Canned machines for the bootstrap tests: preflight sections as a rescue
// system would print them, the example layouts, and hosts built in memory.

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "desired-state/model.h"
#include "disk-layouts/layout.h"
#include "modules/probe.h"
#include "reconciler/base/strings.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::bootstrap::testing {

inline std::string read_source(const std::string& path) {
  std::ifstream in(std::string(RECONCILE_SOURCE_DIR) + "/" + path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline disk::DiskLayout example_layout(const std::string& name) {
  Result<YamlNode> root = parse_yaml(read_source("disk-layouts/" + name + ".yaml"), name);
  REQUIRE(root.has_value());
  Diagnostics diagnostics;
  std::optional<disk::DiskLayout> layout = disk::parse_disk_layout(*root, name, diagnostics);
  REQUIRE(layout.has_value());
  return *layout;
}

// A host with the vps-gpt layout on /dev/loop0 (the device of the canned
// disk probes).
inline state::Host vps_host() {
  state::Host host;
  host.name = "web1";
  host.file = "hosts/web1.yaml";
  host.address = "203.0.113.10";
  host.ssh.port = 22;
  host.ssh.user = "root";
  host.disk.emplace();
  host.disk->layout = "vps-gpt";
  host.disk->devices = {"/dev/loop0"};
  host.sections = {"address", "disk", "users", "files"};
  return host;
}

struct CannedMachine {
  std::string machine = "x86_64";
  std::string boot = "bios";
  std::string uid = "0";
  std::string tools =
      "sfdisk\nwipefs\nblkid\nlsblk\npartx\nmount\nchroot\ntar\nzstd\ndebootstrap\n"
      "mkfs.ext4\nmkfs.vfat\nmkswap\n";
  std::string disk_probe = read_source("tests/data/disk/probe-blank.txt");
  std::string keys =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin\n";

  std::map<std::string, modules::SectionOutput> sections() const {
    std::map<std::string, modules::SectionOutput> out;
    out["system"].text =
        "machine " + machine + "\nmemtotal 1010000\nmemavailable 700000\nboot " + boot +
        "\ninit sh\nhostname rescue\nos Debian GNU/Linux 12 (bookworm)\nuid " + uid + "\n";
    out["tools"].text = tools;
    out["ip-addr"].text =
        R"([{"ifname":"eth0","address":"52:54:00:12:34:56","addr_info":[
             {"family":"inet","local":"10.0.2.15","prefixlen":24,"scope":"global"}]}])";
    out["route4"].text = R"([{"dst":"default","gateway":"10.0.2.2","dev":"eth0"}])";
    out["route6"].text = "[]";
    out["resolv"].text = "nameserver 10.0.2.3\n";
    out["keys"].text = keys;
    out["disk"].text = disk_probe;
    return out;
  }

  // The whole probe output for a fake transport, in the order of `script`'s
  // fragments, with the nonce found in the script.
  std::string probe_output(const std::string& script) const {
    size_t at = script.find("@@reconcile-");
    REQUIRE(at != std::string::npos);
    std::string marker = script.substr(at, 12 + 32);
    auto all = sections();
    std::string out;
    for (const char* name :
         {"system", "tools", "ip-addr", "route4", "route6", "resolv", "keys", "disk"}) {
      out += marker + " begin " + name + "@@\n" + all[name].text + "\n" + marker + " end " + name +
             " 0@@\n";
    }
    return out;
  }
};

}  // namespace reconcile::bootstrap::testing
