#pragma once

// GET /metrics in the Prometheus text format (version 0.0.4):
//
//   reconcile_runs_total{result="..."}                  counter
//   reconcile_hosts{status="..."}                       gauge
//   reconcile_last_run_duration_seconds                 gauge
//   reconcile_drift_events_total                        counter
//   reconcile_last_applied_commit_timestamp_seconds     gauge (commit time)
//   reconcile_desired_commit_timestamp_seconds          gauge (commit time)
//   reconcile_commit_rejected                           gauge (1 while a tip is refused)
//   reconcile_up                                        gauge (always 1)
//
// Pure: formats counts from the state store.

#include <map>
#include <string>

#include "reconciler/daemon/state_store.h"

namespace reconcile::daemon {

std::string render_metrics(const StoreCounts& counts,
                           const std::map<std::string, std::string>& values);

}  // namespace reconcile::daemon
