#pragma once

// The lockout guard (DESIGN "Safety"). sshd and firewall changes can cut the
// controller's own line, so before the first of them runs the controller
// arms a rollback on the host: it saves sshd's files, the nftables files
// and the live `table inet reconcile`, and starts a detached timer
// (`systemd-run --on-active=`, or `setsid sleep` without systemd) that puts
// them back and reloads sshd and nftables after `security.lockout_timeout`.
// After the changes, the controller opens a brand-new SSH connection with
// the new settings (the new sshd port, the same key); if it works, that
// connection cancels the timer and the run goes on over it. If it does not,
// the controller waits for the rollback, connects again with the old
// settings, checks that the rollback ran and that sshd and the firewall are
// as before the run, and reports the host as failed ("rolled back: ...").
//
// On the host the guard lives in /var/lib/reconcile/guard: `armed` holds the
// run's token while a rollback is pending; the restore script and a cancel
// each take it with one rename, so exactly one of them wins.

#include <string>

#include "desired-state/model.h"
#include "modules/facts.h"
#include "reconciler/engine.h"

namespace reconcile {

// Saves the state, writes the restore script and starts the timer. Exits
// non-zero (nothing armed) when a guard of an earlier run is still armed.
std::string guard_arm_script(const std::string& token, int timeout_seconds);

// Cancels the rollback. Exit 0: cancelled; exit 3: the rollback already ran
// or is running (the host is going back to the old settings).
std::string guard_cancel_script(const std::string& token);

// Prints "rolled-back" when this token's rollback ran, "armed" while it is
// pending, "cancelled" or "unknown".
std::string guard_status_script(const std::string& token);

// The facts of the guarded modules (ssh, firewall) that must be as before
// the run once a rollback is done, by relevant-fact key (facts_hash.h).
std::map<std::string, std::string> guarded_facts(const state::Host& host,
                                                 const modules::HostFacts& facts);

}  // namespace reconcile
