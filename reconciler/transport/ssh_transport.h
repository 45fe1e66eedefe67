#pragma once

// The SSH transport: one SSH session per host (libssh2, non-blocking, on the
// caller's io_context), opened on first use and reused for every run; each
// run is one channel executing the constant command of framing.h. Host keys
// are always verified (host_key_check.h); authentication uses key files and
// ssh-agent (ssh_auth.h). A user other than root runs scripts via `sudo -n`.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reconciler/transport/transport.h"

namespace reconcile::transport {

struct SshTarget {
  std::string name;     // the host's name in the desired state, for messages
  std::string address;  // IP address or DNS name
  uint16_t port = 22;
  std::string user = "root";
  std::string host_key;  // pinned OpenSSH public key line; empty: use known_hosts
  // The host's other sshd ports, whose known_hosts entries also vouch for its
  // key (HostKeyPolicy::same_host_ports).
  std::vector<uint16_t> same_host_ports{};
};

// Client settings shared by all hosts of a run (the command-line flags).
struct SshClientOptions {
  // --ssh-key FILE (repeatable). Empty: default_key_files().
  std::vector<std::string> key_files;
  // Use ssh-agent when a socket is known.
  bool use_agent = true;
  // Empty: $SSH_AUTH_SOCK.
  std::string agent_socket;
  // --known-hosts FILE. Empty: default_known_hosts_file().
  std::string known_hosts_file;
  // --accept-new-host-keys: record unknown keys instead of refusing them.
  bool accept_new_host_keys = false;
  // TCP connect, handshake and authentication together.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(15);
};

// The files among ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exist.
std::vector<std::string> default_key_files();
// ~/.ssh/known_hosts.
std::string default_known_hosts_file();

// Makes a transport for one host; nothing touches the network until
// connect() or run(). The io_context must outlive the transport.
std::unique_ptr<Transport> make_ssh_transport(asio::io_context& io, SshTarget target,
                                              const SshClientOptions& options);

}  // namespace reconcile::transport
