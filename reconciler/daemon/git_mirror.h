#pragma once

// The daemon's copy of the desired-state repository: a bare mirror in the
// state directory, updated by fetching one branch with libgit2 from a local
// path, file://, ssh:// or scp-style (with a deploy key) or https:// URL.
// Desired state is then read from the fetched commit with open_git_source;
// there is never a working copy.
//
// SSH host keys are checked against a known_hosts file (the same format and
// code as the host transport); an unknown or changed key fails the fetch.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"

namespace reconcile::daemon {

struct FetchSettings {
  std::string url;  // a path, file://, ssh://, user@host:path or https://
  std::string branch = "main";
  std::vector<std::string> ssh_keys;  // deploy keys tried in order; none: ssh-agent
  std::string known_hosts;            // for SSH URLs; empty: ~/.ssh/known_hosts
  std::function<bool()> cancelled;    // polled while data arrives; true aborts the fetch
};

// Fetches the branch into the bare mirror at `mirror` (created when missing)
// and returns the fetched commit id. Writes only under `mirror`.
// Errors: kUnavailable (network, server, transport: worth retrying),
// kUnauthenticated (host key, credentials), kNotFound (no such branch
// upstream), kFailedPrecondition (`mirror` exists and is not a repository),
// kCancelled.
Result<std::string> fetch_mirror(const std::string& mirror, const FetchSettings& settings);

// The commit time (unix seconds) of `commit` in the repository at `path`;
// 0 when it cannot be read.
int64_t commit_time(const std::string& path, const std::string& commit);

// The URL with any password in its user part replaced by "***", for logs,
// the state store and API responses.
std::string redact_url(std::string_view url);

// The host and port an SSH URL connects to ("" when it is not an SSH URL).
struct SshEndpoint {
  std::string host;
  uint16_t port = 22;
};
SshEndpoint ssh_endpoint(std::string_view url);

}  // namespace reconcile::daemon
