#pragma once

// The state store as JSON and as text, shared by the HTTP API and
// `reconcile status`, so both say the same thing. Pure: formats records, reads
// nothing. The daemon's key/value state ("desired_commit", "rejected_reason",
// ...) is documented in docs/daemon.md.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "reconciler/daemon/state_store.h"

namespace reconcile::daemon {

nlohmann::json host_json(const HostRecord& host);
nlohmann::json run_json(const RunRecord& run);
nlohmann::json run_host_json(const RunHostRecord& host, bool with_output);
nlohmann::json drift_json(const DriftEvent& event);
// The daemon's own state: repository, desired/applied/rejected commits,
// fetch errors, and whether the process is alive (`alive` from the caller).
nlohmann::json daemon_json(const std::map<std::string, std::string>& values, bool alive);

// `reconcile status` as text: daemon state, then one line per host, then
// recent runs and drift events.
std::string status_text(const nlohmann::json& daemon, const std::vector<HostRecord>& hosts,
                        const std::vector<RunRecord>& runs, const std::vector<DriftEvent>& drift,
                        double now);

// "2024-05-01T10:00:00Z" for unix seconds.
std::string iso_time(double seconds);

}  // namespace reconcile::daemon
