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

namespace reconcile::modules {

std::string sshd_reload_script() {
  return R"SH(if [ -d /run/systemd/system ] && systemctl is-active --quiet ssh.service </dev/null; then
  systemctl reload ssh.service </dev/null
elif [ -d /run/systemd/system ] && systemctl is-active --quiet sshd.service </dev/null; then
  systemctl reload sshd.service </dev/null
elif [ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null; then
  kill -HUP "$(cat /run/sshd.pid)"
else
  echo "no running sshd found (no active ssh.service, no /run/sshd.pid): the settings apply when it starts" >&2
fi
)SH";
}

}  // namespace reconcile::modules
