// One table of settings serves the config file and the "flags win" merge:
// each row names a long flag, reads its YAML value (with the file's
// line:column in every error) and copies its field between two settings.

#include "reconciler/daemon/settings.h"

#include <fstream>
#include <functional>
#include <sstream>

#include "reconciler/base/strings.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::daemon {

namespace {

Error node_error(const YamlNode& node, const std::string& message) {
  return invalid_argument(node.location().to_string() + ": " + message);
}

Result<std::string> read_string(const YamlNode& node, const std::string& key) {
  if (!node.is_scalar()) return node_error(node, key + ": expected a string");
  return node.text();
}

Result<std::vector<std::string>> read_strings(const YamlNode& node, const std::string& key) {
  if (node.is_scalar()) return std::vector<std::string>{node.text()};
  if (!node.is_sequence()) return node_error(node, key + ": expected a string or a list");
  std::vector<std::string> values;
  for (const auto& item : node.items())
    values.push_back(TRY(read_string(item, key)));
  return values;
}

Result<bool> read_bool(const YamlNode& node, const std::string& key) {
  if (node.is_scalar() && node.text() == "true") return true;
  if (node.is_scalar() && node.text() == "false") return false;
  return node_error(node, key + ": expected true or false");
}

Result<int> read_int(const YamlNode& node, const std::string& key, int min, int max) {
  std::string text = TRY(read_string(node, key));
  int value = 0;
  bool digits = !text.empty() && text.size() <= 9;
  for (char c : text) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) value = value * 10 + (c - '0');
  }
  if (!digits || value < min || value > max) {
    return node_error(node, key + ": expected a number from " + std::to_string(min) + " to " +
                                std::to_string(max));
  }
  return value;
}

Result<std::chrono::seconds> read_duration(const YamlNode& node, const std::string& key) {
  std::string text = TRY(read_string(node, key));
  auto value = parse_duration(text);
  if (!value) return node_error(node, key + ": expected a duration such as 90s, 5m or 1h");
  return *value;
}

struct Field {
  const char* name;
  std::function<Status(const YamlNode&, DaemonSettings&)> read;
  std::function<void(const DaemonSettings&, DaemonSettings&)> copy;
};

// `get` is a generic lambda returning a reference to the field.
template <typename Get, typename Read>
Field field(const char* name, Get get, Read read) {
  return {name,
          [=](const YamlNode& node, DaemonSettings& settings) -> Status {
            get(settings) = TRY(read(node, std::string(name)));
            return ok();
          },
          [=](const DaemonSettings& from, DaemonSettings& to) { get(to) = get(from); }};
}

auto int_reader(int min, int max) {
  return
      [=](const YamlNode& node, const std::string& key) { return read_int(node, key, min, max); };
}

const std::vector<Field>& fields() {
  // clang-format off
  static const std::vector<Field> table = {
      field("repo", [](auto& s) -> auto& { return s.repo; }, read_string),
      field("branch", [](auto& s) -> auto& { return s.branch; }, read_string),
      field("interval", [](auto& s) -> auto& { return s.interval; }, read_duration),
      field("listen", [](auto& s) -> auto& { return s.listen; }, read_string),
      field("require-signed", [](auto& s) -> auto& { return s.require_signed; }, read_bool),
      field("allowed-signers", [](auto& s) -> auto& { return s.allowed_signers; }, read_string),
      field("webhook-secret-file", [](auto& s) -> auto& { return s.webhook_secret_file; }, read_string),
      field("api-token-file", [](auto& s) -> auto& { return s.api_token_file; }, read_string),
      field("ssh-key", [](auto& s) -> auto& { return s.connection.ssh_keys; }, read_strings),
      field("known-hosts", [](auto& s) -> auto& { return s.connection.known_hosts; }, read_string),
      field("identity", [](auto& s) -> auto& { return s.connection.identities; }, read_strings),
      field("accept-new-host-keys", [](auto& s) -> auto& { return s.connection.accept_new_host_keys; }, read_bool),
      field("no-agent", [](auto& s) -> auto& { return s.connection.no_agent; }, read_bool),
      field("connect-timeout", [](auto& s) -> auto& { return s.connection.connect_timeout_seconds; }, int_reader(1, 3600)),
      field("timeout", [](auto& s) -> auto& { return s.connection.command_timeout_seconds; }, int_reader(1, 86400)),
      field("jobs", [](auto& s) -> auto& { return s.connection.jobs; }, int_reader(1, 1024)),
      field("retry-initial", [](auto& s) -> auto& { return s.retry.initial; }, read_duration),
      field("retry-max", [](auto& s) -> auto& { return s.retry.max; }, read_duration),
      field("dry-run", [](auto& s) -> auto& { return s.dry_run; }, read_bool),
      field("allow-destructive", [](auto& s) -> auto& { return s.allow_destructive; }, read_bool),
      field("keep-runs", [](auto& s) -> auto& { return s.keep_runs; }, int_reader(10, 1000000)),
  };
  // clang-format on
  return table;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t unit = 1;
  switch (text.back()) {
    case 's':
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0 || value > 10'000'000) return std::nullopt;
  return std::chrono::seconds(value * unit);
}

std::optional<std::pair<std::string, uint16_t>> parse_listen(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  int port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return std::nullopt;
  return std::make_pair(std::string(host), static_cast<uint16_t>(port));
}

Status validate_settings(const DaemonSettings& settings) {
  if (settings.repo.empty())
    return invalid_argument("--repo: the repository URL or path is required");
  if (settings.branch.empty()) return invalid_argument("--branch: must not be empty");
  if (settings.require_signed && settings.allowed_signers.empty()) {
    return invalid_argument("--require-signed needs --allowed-signers FILE");
  }
  if (settings.retry.initial > settings.retry.max) {
    return invalid_argument("--retry-initial must not be longer than --retry-max");
  }
  if (settings.listen != "off" && !parse_listen(settings.listen)) {
    return invalid_argument("--listen: expected ADDRESS:PORT (such as 127.0.0.1:9180) or off");
  }
  if (settings.state_dir.empty()) return invalid_argument("--state: must not be empty");
  if (settings.connection.identities.size() > 1) {
    return invalid_argument("--identity: one file, the controller's age identity");
  }
  return ok();
}

Status apply_config_file(const std::string& path, DaemonSettings& settings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failed_precondition(path + ": cannot read the config file");
  std::ostringstream text;
  text << in.rdbuf();
  YamlNode root = TRY(parse_yaml(text.str(), path));
  if (root.is_null()) return ok();
  if (!root.is_map()) return node_error(root, "expected a map of settings");
  std::vector<std::string> names;
  for (const auto& item : fields())
    names.push_back(item.name);
  for (const auto& [key, value] : root.entries()) {
    auto it = std::find_if(fields().begin(), fields().end(),
                           [&](const Field& item) { return key.text() == item.name; });
    if (it == fields().end()) {
      std::string message = "unknown setting '" + key.text() + "'";
      std::string suggestion = closest_match(key.text(), names);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      if (key.text() == "state" || key.text() == "config") {
        message = "'" + key.text() + "' can only be given as a flag";
      }
      return node_error(key, message);
    }
    TRY(it->read(value, settings));
  }
  return ok();
}

void apply_given(const DaemonSettings& from, const std::set<std::string>& given,
                 DaemonSettings& to) {
  for (const auto& item : fields()) {
    if (given.count(item.name) != 0) item.copy(from, to);
  }
}

}  // namespace reconcile::daemon
