#pragma once

// The daemon's record of a stuck rollout, kept in the state store's daemon
// values so that status, the API, metrics and a restarted daemon see it:
//   failed_commit   the commit whose rollout stopped on failures
//   failed_reason   why, and which hosts were left untouched
//   failed_at       when (unix seconds)
//   failed_hosts    the hosts the failed rollout reached, comma-separated
//   last_good_commit the last commit whose rollout went through
// Pure helpers; the Daemon methods that use them are in rollout_state.cc.

#include <set>
#include <string>
#include <vector>

namespace reconcile::daemon {

// "rollout stopped: 1 of 1 canary failed in canary; left untouched: b, c"
std::string rollout_failure_text(const std::string& reason, const std::vector<std::string>& left);

// "a,b,c" and back; host names never contain commas (desired-state/).
std::string join_host_names(const std::set<std::string>& hosts);
std::set<std::string> split_host_names(const std::string& text);

}  // namespace reconcile::daemon
