#pragma once

// The daemon's settings: from `reconcile watch` flags, optionally from a
// YAML file (--config) whose keys are the long flag names without dashes in
// front ("interval: 2m", "ssh-key: [/etc/reconcile/deploy_key]"). Flags
// given on the command line win over the file. SIGHUP reads the file and
// the files it names again (see docs/daemon.md for what a reload changes).

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/daemon/backoff.h"

namespace reconcile::daemon {

// How hosts are reached: the same flags as `reconcile` itself.
struct ConnectionSettings {
  std::vector<std::string> ssh_keys;  // --ssh-key (also the deploy keys for fetching)
  std::string known_hosts;            // --known-hosts (hosts, and an SSH git server)
  // --identity: the controller's age identity for secrets (at most one;
  // none: reconcile's default, /var/lib/reconcile/identity.txt).
  std::vector<std::string> identities;
  bool accept_new_host_keys = false;
  bool no_agent = false;
  int connect_timeout_seconds = 15;
  int command_timeout_seconds = 600;
  int jobs = 32;
};

struct DaemonSettings {
  std::string repo;  // URL or path
  std::string branch = "main";
  std::chrono::seconds interval{60};
  std::string state_dir = "/var/lib/reconcile";
  std::string listen = "127.0.0.1:9180";  // "off": no HTTP server
  bool require_signed = false;
  std::string allowed_signers;
  std::string webhook_secret_file;
  std::string api_token_file;
  ConnectionSettings connection;
  BackoffPolicy retry;
  bool dry_run = false;
  bool allow_destructive = false;
  int keep_runs = 1000;
  std::string config_file;  // --config, if any
};

// "90", "90s", "5m", "2h", "1d"; at least one second. nullopt otherwise.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// "127.0.0.1:9180", "[::1]:9180", "0.0.0.0:80". nullopt otherwise.
std::optional<std::pair<std::string, uint16_t>> parse_listen(std::string_view text);

// Checks what the types cannot: a repo is named, --require-signed has an
// allowed-signers file, retry bounds are ordered, the listen address parses.
// Errors: kInvalidArgument naming the setting.
Status validate_settings(const DaemonSettings& settings);

// Applies the keys of the YAML file at `path` over `settings`.
// Errors: kInvalidArgument "FILE:LINE:COL: ..." (unknown key with a "did you
// mean", wrong type, bad value), kFailedPrecondition when unreadable.
Status apply_config_file(const std::string& path, DaemonSettings& settings);

// Copies the settings named in `given` (long flag names) from `from`.
void apply_given(const DaemonSettings& from, const std::set<std::string>& given,
                 DaemonSettings& to);

}  // namespace reconcile::daemon
