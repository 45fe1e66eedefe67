#pragma once

// The files the configure step writes into the new system before its first
// boot, as one FileBundle (scripts.h): hostname and hosts, the network
// (systemd-networkd, resolv.conf), the SSH host key the controller pins and
// an sshd drop-in that makes it the only host key, root's authorized keys,
// GRUB's console settings. Pure code. (The age identity is placed by its own
// step, identity.h.)

#include <string>

#include "reconciler/bootstrap/host_keys.h"
#include "reconciler/bootstrap/network.h"
#include "reconciler/bootstrap/scripts.h"
#include "secrets/secure_buffer.h"

namespace reconcile::bootstrap {

struct MachineFiles {
  std::string hostname;
  NetworkFacts network;
  std::string authorized_keys;
  const HostKeyPair* host_key = nullptr;  // required
};

FileBundle machine_files(const MachineFiles& files);

}  // namespace reconcile::bootstrap
