#include "reconciler/connection.h"

#include "modules/security.h"
#include "reconciler/transport/fallback_transport.h"
#include "reconciler/transport/local_transport.h"
#include "reconciler/transport/ssh_transport.h"

namespace reconcile {

void add_connection_options(CLI::App& command, ConnectionOptions& options) {
  command
      .add_option("--ssh-key", options.ssh_keys,
                  "Private key file for SSH (repeatable; default: ~/.ssh/id_ed25519, "
                  "id_ecdsa, id_rsa that exist, plus ssh-agent)")
      ->allow_extra_args(false);
  command.add_option("--known-hosts", options.known_hosts,
                     "known_hosts file that verifies host keys not pinned in the host file "
                     "(default ~/.ssh/known_hosts)");
  command.add_flag("--accept-new-host-keys", options.accept_new_host_keys,
                   "Record the key of a host seen for the first time instead of refusing it "
                   "(a changed key is always refused)");
  command.add_flag("--no-agent", options.no_agent,
                   "Do not use ssh-agent even if SSH_AUTH_SOCK is set");
  command
      .add_option("--connect-timeout", options.connect_timeout_seconds,
                  "Seconds to connect, verify and authenticate, per host")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  command
      .add_option("--timeout", options.command_timeout_seconds,
                  "Seconds any one script may run on a host")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  command.add_option("-j,--jobs", options.jobs, "Hosts handled at the same time")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  command.add_flag("--no-lockout-guard", options.no_lockout_guard,
                   "Apply sshd and firewall changes without the lockout guard: no rollback "
                   "armed on the host, no check that a fresh connection still works");
}

namespace {

transport::SshClientOptions ssh_client_options(const ConnectionOptions& options) {
  transport::SshClientOptions client;
  client.key_files = options.ssh_keys;
  client.known_hosts_file = options.known_hosts;
  client.accept_new_host_keys = options.accept_new_host_keys;
  client.use_agent = !options.no_agent;
  client.connect_timeout = std::chrono::seconds(options.connect_timeout_seconds);
  return client;
}

transport::SshTarget ssh_target(const state::Host& host, int port) {
  transport::SshTarget target;
  target.name = host.name;
  target.address = host.address;
  target.port = static_cast<uint16_t>(port);
  target.user = host.ssh.user.value_or("root");
  target.host_key = host.ssh.host_key.value_or("");
  for (int other : modules::connect_ports(host))
    target.same_host_ports.push_back(static_cast<uint16_t>(other));
  return target;
}

}  // namespace

TransportFactory make_transport_factory(const ConnectionOptions& options) {
  transport::SshClientOptions client = ssh_client_options(options);
  return [client](asio::io_context& io,
                  const state::Host& host) -> Result<std::unique_ptr<transport::Transport>> {
    if (host.address == "local") return transport::make_local_transport(io);
    // The desired sshd port first; the old one while sshd has not moved.
    std::vector<transport::TransportMaker> candidates;
    for (int port : modules::connect_ports(host)) {
      candidates.push_back([&io, client, target = ssh_target(host, port)] {
        return transport::make_ssh_transport(io, target, client);
      });
    }
    if (candidates.size() == 1) return candidates.front()();
    return transport::make_fallback_transport(std::move(candidates));
  };
}

PortTransportFactory make_port_transport_factory(const ConnectionOptions& options) {
  transport::SshClientOptions client = ssh_client_options(options);
  return [client](asio::io_context& io, const state::Host& host,
                  int port) -> Result<std::unique_ptr<transport::Transport>> {
    if (host.address == "local") return transport::make_local_transport(io);
    return transport::make_ssh_transport(io, ssh_target(host, port), client);
  };
}

EngineOptions engine_options(const ConnectionOptions& options) {
  EngineOptions engine;
  engine.jobs = options.jobs;
  engine.probe.timeout = std::chrono::seconds(std::min(options.command_timeout_seconds, 120));
  engine.change.timeout = std::chrono::seconds(options.command_timeout_seconds);
  engine.lockout_guard = !options.no_lockout_guard;
  engine.reconnect = make_port_transport_factory(options);
  return engine;
}

}  // namespace reconcile
