#pragma once

// Throwaway sshd servers for the transport's host tests, until the shared
// test-host bed is available. The test process first moves itself into a
// private network and mount namespace (enter_private_namespaces), with fresh
// tmpfs on /tmp and /run, so that nothing it does — sshd on 127.0.0.x,
// firewall rules, users in /etc/passwd — is seen by the machine, and all of
// it disappears with the process, even after a crash. Every sshd is started
// with -D -e and a generated config and host keys, and is killed with its
// parent.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace reconcile::transport::testing {

// Unshares network and mount namespaces, mounts tmpfs on /tmp and /run,
// brings up loopback. Aborts the test program on failure.
void enter_private_namespaces();

// Adds an nftables rule (in the private namespace) that silently drops TCP
// SYNs to `address`:`port`: a blackholed host.
void blackhole(const std::string& address, uint16_t port);

// Adds a user (with a locked password, shell /bin/sh, home in /tmp) to
// bind-mounted copies of /etc/passwd, /etc/shadow and /etc/group, and, if
// `sudo`, a NOPASSWD rule for it to a bind-mounted /etc/sudoers.
void add_user(const std::string& name, bool sudo);

struct KeyPair {
  std::string path;        // private key file
  std::string public_key;  // the .pub line
};

// Shared keys: host keys of each type and client keys.
class TestKeys {
 public:
  static const TestKeys& get();  // made once per process, in /tmp

  std::string dir;
  KeyPair host_ed25519, host_ecdsa, host_rsa, host_other;
  KeyPair client_ed25519, client_ecdsa, client_rsa, client_unknown, client_encrypted;
  std::string passphrase = "correct horse";
};

class TestSshd {
 public:
  struct Options {
    std::string address = "127.0.0.2";
    uint16_t port = 22;
    // Host key files (private); default: the ed25519 one.
    std::vector<std::string> host_keys;
    // Public key lines allowed for every user.
    std::vector<std::string> authorized_keys;
  };

  explicit TestSshd(Options options);
  ~TestSshd();
  TestSshd(const TestSshd&) = delete;

  const Options& options() const { return m_options; }
  // Kills the per-connection sshd processes, as a restart of sshd would.
  void drop_connections();
  std::string log() const;

 private:
  Options m_options;
  std::string m_dir;
  pid_t m_pid = -1;
};

// Default options: ed25519 host key, the three client keys authorized.
TestSshd::Options default_sshd_options(const std::string& address, uint16_t port = 22);

// Starts ssh-agent on a socket in /tmp; killed with the object.
class TestAgent {
 public:
  TestAgent();
  ~TestAgent();
  // ssh-add; for an encrypted key the passphrase is given through askpass.
  void add(const std::string& key_file, const std::string& passphrase = "");
  const std::string& socket() const { return m_socket; }

 private:
  std::string m_socket;
  pid_t m_pid = -1;
};

}  // namespace reconcile::transport::testing
