#pragma once

// Options shared by several commands. Main registers them on the top-level
// app and every subcommand registers the same variables again, so
// `reconcile -C infra facts` and `reconcile facts -C infra` mean the same.

#include <string>
#include <vector>

namespace reconcile {

// Where the desired state is read from.
struct RepoOptions {
  std::string path = ".";
  std::string revision;  // empty: HEAD of a git repository

  bool revision_given() const { return !revision.empty(); }
  std::string revision_or_head() const { return revision.empty() ? "HEAD" : revision; }
};

// How the controller reaches hosts.
struct ConnectionOptions {
  std::vector<std::string> ssh_keys;  // --ssh-key, repeatable
  std::string known_hosts;            // --known-hosts
  bool accept_new_host_keys = false;  // --accept-new-host-keys
  bool no_agent = false;              // --no-agent
  int connect_timeout_seconds = 15;   // --connect-timeout
  int command_timeout_seconds = 600;  // --timeout
  int jobs = 32;                      // --jobs
  bool no_lockout_guard = false;      // --no-lockout-guard
};

}  // namespace reconcile
