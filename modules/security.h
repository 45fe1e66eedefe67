#pragma once

// Shared by the security modules (ssh, firewall, fail2ban, auto_updates),
// the lockout guard and the transport factory: which ports sshd listens on
// and which ports the controller tries, in order.

#include <string>
#include <vector>

#include "desired-state/model.h"

namespace reconcile::modules {

// The ports sshd listens on once the host has converged: security.ssh.port
// when the host sets it, else the port the controller connects to
// (ssh.port, 22 by default).
std::vector<int> sshd_ports(const state::Host& host);

// The ports the controller tries, first one first: the desired sshd port,
// then the host's ssh.port (and 22) for a host whose sshd has not moved yet.
std::vector<int> connect_ports(const state::Host& host);

}  // namespace reconcile::modules

namespace reconcile::modules {

// Shell code that makes a running sshd read its configuration again
// (ssh.service reload under systemd, SIGHUP to /run/sshd.pid otherwise).
// Existing sessions survive; a port change takes effect at once.
std::string sshd_reload_script();

}  // namespace reconcile::modules
