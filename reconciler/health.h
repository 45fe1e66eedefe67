#pragma once

// Health checks after apply. Each check of a host's `health:` list runs on
// the host itself, over the transport the host was applied with, in one
// round trip: the retry loop is part of the script, so a check that needs
// five attempts costs one SSH channel, not five. HTTP and TCP checks use what
// the host has, as its facts report (SystemFacts::tools): curl, then wget,
// then bash's /dev/tcp for HTTP (plain http:// only); bash, then nc, then
// python3 for TCP. Attempts are limited by timeout(1) when the host has it
// (curl, wget and nc also get their own limits).

#include <chrono>
#include <string>

#include "desired-state/model.h"
#include "modules/facts.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"
#include "reconciler/transport/transport.h"

namespace reconcile {

// What runs `check` on a host with `system`'s facts: "sh" for commands, else
// the first usable tool above; "" when the host has none.
std::string health_tool(const state::HealthCheck& check, const modules::SystemFacts& system);

// Why no tool fits, for a check whose health_tool is "".
std::string missing_tool_message(const state::HealthCheck& check);

// "command: systemctl is-active nginx", "http: http://127.0.0.1/ (expect 200)",
// "tcp: 127.0.0.1:443".
std::string describe_check(const state::HealthCheck& check);

// "timeout 10s, 4 attempts 2s apart".
std::string describe_timing(const state::HealthCheck& check);

// The script (without the common preamble) that runs `check` with `tool`:
// up to 1 + retries attempts, interval apart, each limited to the check's
// timeout. It prints "reconcile-health passed N" and exits 0, or prints
// "reconcile-health failed N" followed by the last attempt's output and
// exits 1. Every value from the desired state goes through shell_quote.
std::string health_script(const state::HealthCheck& check, const std::string& tool,
                          bool has_timeout_command);

// How long the transport lets a check's script run: every attempt and
// pause, plus a margin. A check never waits on the transport's own limit.
std::chrono::milliseconds health_deadline(const state::HealthCheck& check);

// Reads a check script's result into `result` (passed, attempts, message).
void read_health_output(const Result<transport::Output>& output, HealthResult& result);

// Runs the checks of `host` in order on `transport` (touches the host),
// appending to report.health. The first check that fails stops the others
// and makes the host kFailed with the check and the reason in report.error.
// Uses report.facts (the first probe) to choose tools.
asio::awaitable<void> run_health_checks(const state::Host& host, transport::Transport& transport,
                                        Progress& progress, HostReport& report);

}  // namespace reconcile
