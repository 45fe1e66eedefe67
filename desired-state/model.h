#pragma once

// The typed desired state: what the loader produces after parsing, role
// merging and validation. Every value here has been checked (names, ranges,
// paths, references), so modules can trust it. Plain structs, no behaviour.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "disk-layouts/layout.h"
#include "reconciler/base/diagnostics.h"

namespace reconcile::state {

enum class Presence { kPresent, kAbsent };

// How to reach a host. Unset fields fall back to reconcile.yaml's defaults,
// then to root and port 22.
struct SshConnection {
  std::optional<std::string> user;
  std::optional<int> port;
  // An OpenSSH public key line ("ssh-ed25519 AAAA..."): the host key to pin.
  std::optional<std::string> host_key;
};

struct DiskAssignment {
  std::string layout;                // a file disk-layouts/<layout>.yaml
  std::vector<std::string> devices;  // one, or two for RAID1 layouts
  std::string mount_root = "/";      // where the layout's mountpoints live
  // The parsed layout, attached by the loader once every layout is read.
  std::optional<disk::DiskLayout> model;
};

struct Group {
  std::string name;
  Presence state = Presence::kPresent;
  std::optional<uint32_t> gid;
  bool system = false;
};

struct User {
  std::string name;
  Presence state = Presence::kPresent;
  std::optional<uint32_t> uid;
  std::optional<std::string> group;                // primary group
  std::optional<std::vector<std::string>> groups;  // supplementary, exact set when given
  std::optional<std::string> shell;
  std::optional<std::string> home;
  std::optional<std::string> comment;
  bool system = false;
  std::optional<std::string> password_hash;                 // a crypt(3) hash, never a password
  std::optional<std::string> password_hash_secret;          // or the name of a secret holding it
  std::optional<std::vector<std::string>> authorized_keys;  // exact set when given
};

struct Package {
  std::string name;
  Presence state = Presence::kPresent;
};

enum class FileType { kFile, kDirectory };

struct ManagedFile {
  std::string path;
  FileType type = FileType::kFile;
  Presence state = Presence::kPresent;
  // Final bytes for a regular file (inline content or the source file, after
  // templating). Unset for directories and absent files.
  std::optional<std::string> content;
  std::optional<std::string> source;  // repo path it came from, for messages
  std::optional<std::string> owner;
  std::optional<std::string> group;
  std::optional<uint32_t> mode;
  std::vector<std::string> restart;  // services to restart when this file changes
};

struct Service {
  std::string name;  // unit name without the .service suffix
  std::optional<bool> enabled;
  std::optional<bool> running;
  std::optional<std::string> unit;  // unit file content for /etc/systemd/system
};

struct SshHardening {
  std::vector<int> ports;
  std::optional<bool> password_auth;
  std::optional<std::string> permit_root_login;  // no | prohibit-password | yes
  std::vector<std::string> allow_users;
  std::vector<std::string> allow_groups;
  std::optional<bool> kbd_interactive;
  std::vector<std::string> ciphers;
  std::vector<std::string> kex;
  std::vector<std::string> macs;
};

struct FirewallRule {
  int port = 0;
  std::string protocol = "tcp";   // tcp | udp
  std::vector<std::string> from;  // IPv4/IPv6 addresses or CIDR prefixes; empty = anywhere
};

struct Firewall {
  std::string policy = "drop";  // drop | accept
  std::vector<int> allow_tcp;
  std::vector<int> allow_udp;
  bool allow_icmp = true;
  std::vector<FirewallRule> allow;
  bool keep_ssh_open = true;  // the SSH port stays reachable unless this is false
};

struct Fail2banJail {
  std::string name;
  bool enabled = true;
  std::optional<int> maxretry;
  std::optional<std::string> findtime;
  std::optional<std::string> bantime;
  std::optional<bool> bantime_increment;
};

struct AutoUpdates {
  std::string schedule = "off";  // daily | weekly | off
  bool reboot = false;
  std::optional<std::string> reboot_time;  // "HH:MM"
};

struct Security {
  std::optional<SshHardening> ssh;
  std::optional<Firewall> firewall;
  std::optional<std::vector<Fail2banJail>> fail2ban;
  std::optional<AutoUpdates> auto_updates;
  int lockout_timeout_seconds = 60;
};

struct SecretDelivery {
  std::string name;    // file name under /run/secrets
  std::string source;  // repo path of the .age file
  std::string owner = "root";
  std::string group = "root";
  uint32_t mode = 0400;
  bool needed_for_users = false;
  std::vector<std::string> restart;
};

// One health check (`health:` in hosts and roles), run on the host itself
// after apply. Exactly one of command / http / tcp; attempts are spaced by
// interval_seconds and each is limited to timeout_seconds. The check passes
// at the first attempt that succeeds; it fails after 1 + retries attempts.
enum class HealthKind { kCommand, kHttp, kTcp };

struct HealthCheck {
  HealthKind kind = HealthKind::kCommand;
  std::string command;  // kCommand: run by /bin/sh -c; passes on exit 0
  std::string url;      // kHttp: as written
  bool https = false;   // kHttp
  // kHttp: the URL's host; kTcp: where to connect (default 127.0.0.1).
  std::string target = "127.0.0.1";
  int port = 0;               // kHttp: the URL's port (80 / 443 when not given); kTcp
  std::string path = "/";     // kHttp: path and query
  std::optional<int> expect;  // kHttp: the status wanted; unset: any 2xx
  int timeout_seconds = 10;
  int retries = 3;
  int interval_seconds = 2;
};

struct Host {
  std::string name;
  std::string file;     // hosts/<name>.yaml
  std::string address;  // host name, IP address, or "local"
  SshConnection ssh;    // defaults already applied
  std::vector<std::string> roles;
  std::optional<DiskAssignment> disk;
  std::vector<Group> groups;
  std::vector<User> users;
  std::vector<Package> packages;
  std::vector<ManagedFile> files;
  std::vector<Service> services;
  std::map<std::string, std::string> sysctl;
  Security security;
  std::vector<SecretDelivery> secrets;
  std::map<std::string, std::string> vars;
  std::optional<std::string> age_recipient;
  std::vector<HealthCheck> health;
  // Top-level sections that were present after merging, in schema order.
  std::vector<std::string> sections;
};

struct SecretSettings {
  std::map<std::string, std::string> recipients;  // name -> age1... or ssh public key
  std::optional<std::string> controller;          // name of the controller's recipient
  // Per secret name: the recipient names allowed to read it (narrowing).
  std::map<std::string, std::vector<std::string>> access;
};

// A number of hosts, absolute ("5") or a share of the hosts in the run
// ("20%").
struct HostCount {
  int value = 0;
  bool percent = false;
};

// A canary: a host by name, or every host with a role ("role:NAME").
struct CanaryRef {
  std::string host;
  std::string role;
  Location location;  // where it was written, for reference errors
};

// `rollout:` in reconcile.yaml: canaries first, alone; then the other hosts
// in batches; the rollout stops when failures exceed max_failures. Without
// the key every host is one batch (reconciler/rollout.h has the rules).
struct RolloutPolicy {
  std::vector<CanaryRef> canary;
  std::optional<HostCount> batch;  // unset: all the other hosts at once
  HostCount max_failures;          // 0
  int pause_seconds = 0;           // between stages
};

struct RepoSettings {
  SshConnection ssh_defaults;
  SecretSettings secrets;
  RolloutPolicy rollout;
};

struct Repo {
  std::string origin;  // "commit 1a2b3c… of /path" or "directory /path"
  std::string commit;  // full commit id when read from git, else empty
  RepoSettings settings;
  std::vector<Host> hosts;         // sorted by name
  std::vector<std::string> roles;  // names of the role files
  std::map<std::string, disk::DiskLayout> disk_layouts;
};

}  // namespace reconcile::state
