#pragma once

// Facts: what a host reported in the one probe round trip, parsed into plain
// structs, one per module. Parsers fill these from canned text in tests.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "disk-layouts/facts.h"
#include "modules/needed_packages.h"

namespace reconcile::modules {

struct Mount {
  std::string source;
  std::string target;
  std::string fstype;
  std::string options;
};

struct SystemFacts {
  std::string os_id;          // "debian"
  std::string os_version_id;  // "12"
  std::string os_pretty_name;
  std::string kernel;
  std::string architecture;  // uname -m: x86_64, aarch64
  std::string hostname;
  std::string boot_mode;        // "uefi" or "bios"
  std::string init;             // "systemd" or the name of PID 1
  std::string package_manager;  // "apt", "pacman" or "none"
  uint64_t memory_bytes = 0;
  int uid = -1;  // the uid scripts run as (0 after sudo)
  bool secrets_tmpfs = false;
  // Commands health checks may use that are on the PATH: curl, wget, bash,
  // nc, python3, timeout.
  std::set<std::string> tools;
  nlohmann::json block_devices;  // lsblk -J -b output, or null
  std::vector<Mount> mounts;
  nlohmann::json interfaces;  // ip -j addr, or null
  nlohmann::json routes;      // ip -j route, or null
};

struct GroupFacts {
  uint32_t gid = 0;
  std::vector<std::string> members;
};

struct UserFacts {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string primary_group;
  std::set<std::string> groups;  // supplementary groups (primary excluded)
  std::string comment;
  std::string home;
  std::string shell;
  bool home_exists = false;
  std::optional<std::string> shadow_digest;     // sha256 of the shadow hash field
  std::optional<bool> password_matches_secret;  // compared on the host
  std::optional<std::string> keys_digest;       // sha256 of authorized_keys
  std::string keys_owner;                       // "user:group"
  std::string keys_mode;                        // octal, e.g. "600"
  std::string ssh_dir_owner;
  std::string ssh_dir_mode;
};

struct PackageFacts {
  std::set<std::string> installed;
  std::set<std::string> unknown;  // not known to the package manager's cache
};

struct FileFacts {
  bool exists = false;
  std::string type;  // stat %F: "regular file", "directory", "symbolic link", ...
  std::string owner;
  std::string group;
  uint32_t mode = 0;
  std::string sha256;  // regular files only
};

struct ServiceFacts {
  std::string load_state;                  // loaded, not-found, masked
  std::string active_state;                // active, inactive, failed, ...
  std::string unit_file_state;             // enabled, disabled, static, ...
  std::optional<std::string> unit_digest;  // sha256 of /etc/systemd/system/NAME.service
};

struct SysctlFacts {
  std::map<std::string, std::optional<std::string>> live;  // nullopt: no such key
  std::optional<std::string> dropin_digest;
};

// One entry of /run/secrets, as the host reported it.
struct SecretFileFacts {
  std::string type;  // "file", "dir", "link" or "other"
  std::string owner;
  std::string group;
  uint32_t mode = 0;
  // Regular files: HMAC-SHA256 of the content under the probe key (see
  // modules/secrets.cc), hex. Never a plain hash: that would reveal a
  // low-entropy secret to anyone who sees the facts.
  std::string digest;
};

struct SecretsFacts {
  std::string directory;     // "missing", "directory" or "other" (a file, a symlink)
  std::string fstype;        // stat -f %T of /run/secrets: "tmpfs", "ext2/ext3", ...
  bool mount_point = false;  // a file system of its own (not just a folder of /run)
  std::string owner;
  std::string group;
  uint32_t mode = 0;
  std::map<std::string, SecretFileFacts> files;  // by file name
};

// security.fail2ban: the packages it needs, the jail file, the service.
struct Fail2banFacts {
  std::map<std::string, PackageState> packages;  // fail2ban, python3-systemd
  std::optional<std::string> jail_digest;        // sha256 of jail.d/reconcile.local
  // systemctl is-enabled / is-active of fail2ban.service ("not-found" when
  // systemd does not know it); empty on a host without systemd.
  std::string enabled;
  std::string active;
};

// security.auto_updates: unattended-upgrades, the apt settings file, the
// effective settings (apt-config dump) and apt's timers.
struct AutoUpdatesFacts {
  std::map<std::string, PackageState> packages;  // unattended-upgrades
  std::optional<std::string> settings_digest;    // sha256 of the apt.conf.d file
  std::map<std::string, std::string> settings;   // effective value by apt key
  std::map<std::string, std::string> timers;     // systemctl is-enabled by timer unit
};

// sshd as the ssh module sees it (security.ssh).
struct SshdFacts {
  bool present = false;                      // /usr/sbin/sshd and /etc/ssh/sshd_config exist
  std::optional<std::string> dropin_digest;  // sha256 of sshd_config.d/50-reconcile.conf
  bool include = false;                      // sshd_config includes /etc/ssh/sshd_config.d/*.conf
  bool socket_activated = false;             // ssh.socket is active (its port is the socket's)
  // Directives that override the drop-in or add to it: "FILE:LINE: TEXT".
  std::vector<std::string> conflicts;
  // `sshd -T`, for the managed keywords: lower-case keyword -> its values
  // (one per Port line, one per user of AllowUsers, ...).
  std::map<std::string, std::vector<std::string>> effective;
  std::optional<std::string> effective_error;  // sshd -T failed: its first line
};

// The firewall (nftables) as the probe found it. The live table is summed up
// from `nft -j list table inet reconcile`; its digest leaves out the object
// handles, which change when the same ruleset is loaded again (at boot).
struct FirewallFacts {
  bool probed = false;           // the host has security.firewall
  bool nft_installed = false;    // `nft` is on the PATH
  bool table_exists = false;     // table inet reconcile is loaded
  std::string live_digest;       // sha256 of the table's JSON without handles
  std::string live_policy;       // the input chain's policy; empty without the chain
  size_t rule_count = 0;         // rules in the table
  std::set<int> live_tcp;        // TCP ports accepted from anywhere
  std::set<int> live_udp;        // UDP ports accepted from anywhere
  size_t live_source_rules = 0;  // rules that match a source address
  // /var/lib/reconcile/firewall.state, written by the last apply: the
  // digest of the rendered ruleset and the live digest right after loading.
  std::optional<std::string> recorded_rendered;
  std::optional<std::string> recorded_live;
  std::optional<std::string> persisted_digest;  // sha256 of /etc/nftables.d/reconcile.nft
  bool included = false;                        // /etc/nftables.conf includes that file
  std::string service_state;  // `systemctl is-enabled nftables.service`; empty without systemctl
};

struct HostFacts {
  SystemFacts system;
  std::map<std::string, std::optional<GroupFacts>> groups;  // nullopt: does not exist
  std::map<std::string, std::optional<UserFacts>> users;
  PackageFacts packages;
  std::vector<FileFacts> files;  // same order as the host's files
  std::map<std::string, ServiceFacts> services;
  SysctlFacts sysctl;
  std::optional<disk::DiskFacts> disk;  // when the host declares a disk
  SecretsFacts secrets;                 // when the host has a secrets section
  Fail2banFacts fail2ban;               // when the host has security.fail2ban
  AutoUpdatesFacts auto_updates;        // when the host has security.auto_updates
  SshdFacts sshd;                       // when the host has security.ssh
  FirewallFacts firewall;               // when the host has security.firewall
};

}  // namespace reconcile::modules
