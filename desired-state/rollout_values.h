#pragma once

// Values of the rollout policy and of health checks, shared by the YAML
// parser (desired-state/rollout_parser.cc) and the command-line overrides
// (--batch, --max-failures, --canary, --pause). Each function is pure and
// reports a problem as text phrased to follow "expected ...".

#include <optional>
#include <string>
#include <string_view>

#include "desired-state/model.h"

namespace reconcile::state {

// "5" or "20%". `min` is the smallest number (0 or 1) and the smallest
// percentage; numbers go up to 100000 and percentages up to 100. Returns
// nullopt on anything else (signs, decimals, spaces, "%" alone).
std::optional<HostCount> parse_host_count(std::string_view text, int min);

// "web1" (a host) or "role:web" (every host with that role). Only the syntax
// is checked; whether the host or role exists is check_canary_exists'.
std::optional<CanaryRef> parse_canary_ref(std::string_view text);

// Empty when `ref` names a host or a role of `repo`, else the problem, with a
// "did you mean" for near misses.
std::string check_canary_exists(const CanaryRef& ref, const Repo& repo);

// "role:web" or "web1", as written.
std::string canary_text(const CanaryRef& ref);

// "20%" or "5".
std::string host_count_text(const HostCount& count);

// Parses an http:// or https:// URL into `check` (url, https, target, port,
// path). Returns "" or what was expected. User info ("user:pass@") and
// fragments are refused; whitespace and control characters too, because the
// path is sent in a request line by the bash fallback.
std::string parse_health_url(std::string_view url, HealthCheck& check);

// "443", "127.0.0.1:443", "db.internal:5432" or "[::1]:443" into target and
// port. Returns "" or what was expected.
std::string parse_tcp_target(std::string_view text, HealthCheck& check);

}  // namespace reconcile::state
