#include "desired-state/rollout_values.h"

#include <algorithm>
#include <charconv>

#include "desired-state/names.h"
#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

std::optional<int> parse_number(std::string_view text, int min, int max) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= ' ' || byte == 0x7f;
  });
}

// "host", "host:port", "[v6]" or "[v6]:port"; port stays 0 when not given.
std::string split_host_port(std::string_view text, std::string& host, int& port) {
  std::string_view port_text;
  bool has_port = false;
  if (starts_with(text, "[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return "a closing ']' after an IPv6 address";
    host = std::string(text.substr(1, close - 1));
    if (!is_ipv6(host)) return "an IPv6 address between '[' and ']'";
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return "':PORT' after ']'";
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = text.rfind(':');
    host = std::string(colon == std::string_view::npos ? text : text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
    if (host.find(':') != std::string::npos) return "an IPv6 address in brackets: [::1]:443";
    if (host.empty() || !check_address(host).empty() || host == "local") {
      return "a host name or an address before the port";
    }
  }
  if (has_port) {
    auto number = parse_number(port_text, 1, 65535);
    if (!number) return "a port from 1 to 65535";
    port = *number;
  }
  return {};
}

}  // namespace

std::optional<HostCount> parse_host_count(std::string_view text, int min) {
  HostCount count;
  if (!text.empty() && text.back() == '%') {
    text.remove_suffix(1);
    count.percent = true;
  }
  auto value = parse_number(text, min, count.percent ? 100 : 100000);
  if (!value) return std::nullopt;
  count.value = *value;
  return count;
}

std::optional<CanaryRef> parse_canary_ref(std::string_view text) {
  CanaryRef ref;
  if (starts_with(text, "role:")) {
    std::string_view role = text.substr(5);
    if (!check_host_name(role).empty()) return std::nullopt;  // role files follow host names
    ref.role = std::string(role);
  } else {
    if (!check_host_name(text).empty()) return std::nullopt;
    ref.host = std::string(text);
  }
  return ref;
}

std::string check_canary_exists(const CanaryRef& ref, const Repo& repo) {
  std::vector<std::string> known;
  if (!ref.role.empty()) {
    if (std::find(repo.roles.begin(), repo.roles.end(), ref.role) != repo.roles.end()) return {};
    known = repo.roles;
  } else {
    for (const auto& host : repo.hosts) {
      if (host.name == ref.host) return {};
      known.push_back(host.name);
    }
  }
  std::string name = ref.role.empty() ? ref.host : ref.role;
  std::string message = ref.role.empty()
                            ? "no host '" + name + "' (hosts/" + name + ".yaml does not exist)"
                            : "no role '" + name + "' (roles/" + name + ".yaml does not exist)";
  std::string suggestion = closest_match(name, known);
  if (!suggestion.empty()) {
    message +=
        "; did you mean '" + std::string(ref.role.empty() ? "" : "role:") + suggestion + "'?";
  }
  return message;
}

std::string canary_text(const CanaryRef& ref) {
  return ref.role.empty() ? ref.host : "role:" + ref.role;
}

std::string host_count_text(const HostCount& count) {
  return std::to_string(count.value) + (count.percent ? "%" : "");
}

std::string parse_health_url(std::string_view url, HealthCheck& check) {
  const char* expected = "an http:// or https:// URL such as http://127.0.0.1:8080/healthz";
  bool https = starts_with(url, "https://");
  if (!https && !starts_with(url, "http://")) return expected;
  if (has_space_or_control(url)) return "a URL without spaces or control characters";
  std::string_view rest = url.substr(https ? 8 : 7);
  size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return "a URL without user or password (the check runs on the host itself)";
  }
  if (path.find('#') != std::string_view::npos) return "a URL without a '#fragment'";
  int port = 0;
  std::string problem = split_host_port(authority, check.target, port);
  if (!problem.empty()) return expected;
  check.url = std::string(url);
  check.https = https;
  check.port = port != 0 ? port : (https ? 443 : 80);
  check.path = path.empty() ? "/" : path[0] == '?' ? "/" + std::string(path) : std::string(path);
  return {};
}

std::string parse_tcp_target(std::string_view text, HealthCheck& check) {
  const char* expected = "a port, or HOST:PORT such as 127.0.0.1:443 or [::1]:443";
  if (auto port = parse_number(text, 1, 65535)) {
    check.target = "127.0.0.1";
    check.port = *port;
    return {};
  }
  int port = 0;
  std::string host;
  if (!split_host_port(text, host, port).empty() || port == 0) return expected;
  check.target = host;
  check.port = port;
  return {};
}

}  // namespace reconcile::state
