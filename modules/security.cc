#include "modules/security.h"

#include <algorithm>

namespace reconcile::modules {

std::vector<int> sshd_ports(const state::Host& host) {
  if (host.security.ssh && !host.security.ssh->ports.empty()) return host.security.ssh->ports;
  return {host.ssh.port.value_or(22)};
}

std::vector<int> connect_ports(const state::Host& host) {
  int configured = host.ssh.port.value_or(22);
  std::vector<int> listening = sshd_ports(host);
  std::vector<int> ports;
  auto add = [&ports](int port) {
    if (std::find(ports.begin(), ports.end(), port) == ports.end()) ports.push_back(port);
  };
  // An explicit ssh.port that sshd will listen on stays first.
  if (std::find(listening.begin(), listening.end(), configured) != listening.end()) {
    add(configured);
  } else {
    add(listening.front());
  }
  add(configured);
  add(22);
  return ports;
}

}  // namespace reconcile::modules
