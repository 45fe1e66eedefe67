// `rollout:` in reconcile.yaml and `health:` in hosts and roles.
//
// A health list holds checks (maps with exactly one of command, http, tcp)
// and at most one settings element (a map with only timeout, retries,
// interval). The settings element gives the defaults of every check of its
// list, wherever it stands in the list; a check's own timeout, retries and
// interval win over it. Because a later fragment's list replaces an earlier
// one (the merge rule), the settings travel with the checks they belong to.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/parsers.h"
#include "desired-state/rollout_values.h"

namespace reconcile::state {

namespace {

// A duration in [min, max] seconds at `key`, or nullopt (reported).
std::optional<int> read_duration(FieldReader& reader, std::string_view key, int64_t min,
                                 int64_t max, const char* range) {
  const YamlNode* node = reader.get(key);
  if (node == nullptr) return std::nullopt;
  auto text = read_string(*node, reader.field_path(key), reader.diagnostics());
  if (!text) return std::nullopt;
  auto seconds = parse_duration_seconds(*text);
  if (!seconds || *seconds < min || *seconds > max) {
    reader.error(*node, key,
                 std::string("expected a duration from ") + range + " such as 2s or 1m, got '" +
                     *text + "'");
    return std::nullopt;
  }
  return static_cast<int>(*seconds);
}

std::optional<HostCount> read_count(FieldReader& reader, std::string_view key, int min) {
  const YamlNode* node = reader.get(key);
  if (node == nullptr) return std::nullopt;
  auto text = read_string(*node, reader.field_path(key), reader.diagnostics());
  if (!text) return std::nullopt;
  auto count = parse_host_count(*text, min);
  if (!count) {
    reader.error(*node, key,
                 "expected a number of hosts (" + std::to_string(min) +
                     "-100000) or a percentage of the hosts in the run (" + std::to_string(min) +
                     "%-100%), got '" + *text + "'");
  }
  return count;
}

// Timing keys shared by checks and the settings element.
struct Timing {
  std::optional<int> timeout;
  std::optional<int> retries;
  std::optional<int> interval;

  void read(FieldReader& reader) {
    timeout = read_duration(reader, "timeout", 1, 3600, "1s to 1h");
    if (auto value = reader.integer("retries", 0, 100)) retries = static_cast<int>(*value);
    interval = read_duration(reader, "interval", 0, 3600, "0s to 1h");
  }
  bool any() const { return timeout || retries || interval; }
  void apply_to(HealthCheck& check) const {
    if (timeout) check.timeout_seconds = *timeout;
    if (retries) check.retries = *retries;
    if (interval) check.interval_seconds = *interval;
  }
};

struct ParsedCheck {
  HealthCheck check;
  Timing own;  // applied after the list's settings element
};

// One element of a health list: a check (returned with its own timing) or
// the settings element (stored in `settings`); nullopt for the settings
// element and for errors.
std::optional<ParsedCheck> parse_health_item(const YamlNode& item, const std::string& path,
                                             Timing& settings, const YamlNode*& settings_node,
                                             ParseContext& ctx) {
  FieldReader reader(item, path, ctx.diagnostics);
  HealthCheck check;
  int kinds = 0;
  if (auto command = reader.string("command")) {
    ++kinds;
    check.kind = HealthKind::kCommand;
    check.command = *command;
    if (command->find_first_not_of(" \t\n") == std::string::npos) {
      reader.error(*reader.get("command"), "command", "expected a shell command, got nothing");
    }
  }
  if (const YamlNode* http = reader.get("http")) {
    ++kinds;
    check.kind = HealthKind::kHttp;
    if (auto url = read_string(*http, reader.field_path("http"), ctx.diagnostics)) {
      std::string problem = parse_health_url(*url, check);
      if (!problem.empty())
        reader.error(*http, "http", "expected " + problem + ", got '" + *url + "'");
    }
  }
  if (const YamlNode* tcp = reader.get("tcp")) {
    ++kinds;
    check.kind = HealthKind::kTcp;
    if (auto target = read_string(*tcp, reader.field_path("tcp"), ctx.diagnostics)) {
      std::string problem = parse_tcp_target(*target, check);
      if (!problem.empty()) {
        reader.error(*tcp, "tcp", "expected " + problem + ", got '" + *target + "'");
      }
    }
  }
  const YamlNode* expect = reader.get("expect");
  if (expect != nullptr) {
    auto status = read_integer(*expect, reader.field_path("expect"), 100, 599, ctx.diagnostics);
    if (status) check.expect = static_cast<int>(*status);
    if (check.kind != HealthKind::kHttp || kinds != 1) {
      reader.error(*expect, "expect", "expect belongs to an http check");
    }
  }
  Timing own;
  own.read(reader);
  reader.finish();
  if (kinds > 1) {
    ctx.diagnostics.error(item.location(),
                          path + ": a check has exactly one of command, http and tcp");
    return std::nullopt;
  }
  if (kinds == 0) {
    if (!reader.is_map() || expect != nullptr) return std::nullopt;
    if (!own.any()) {
      ctx.diagnostics.error(item.location(),
                            path +
                                ": expected a check (command, http or tcp) or settings "
                                "(timeout, retries, interval)");
    } else if (settings_node != nullptr) {
      ctx.diagnostics.error(item.location(), path +
                                                 ": only one settings element per list (the "
                                                 "first is at line " +
                                                 std::to_string(settings_node->location().line) +
                                                 ")");
    } else {
      settings = own;
      settings_node = &item;
    }
    return std::nullopt;
  }
  return ParsedCheck{std::move(check), own};
}

}  // namespace

void parse_health(const YamlNode& node, Host& host, ParseContext& ctx) {
  if (node.is_null()) return;
  if (!node.is_sequence()) {
    ctx.diagnostics.error(
        node.location(), "health: expected a list of checks, got " + std::string(node.kind_name()));
    return;
  }
  Timing settings;
  const YamlNode* settings_node = nullptr;
  std::vector<ParsedCheck> checks;
  for (size_t i = 0; i < node.items().size(); ++i) {
    std::string path = "health[" + std::to_string(i) + "]";
    auto parsed = parse_health_item(node.items()[i], path, settings, settings_node, ctx);
    if (parsed) checks.push_back(std::move(*parsed));
  }
  host.health.clear();
  for (auto& parsed : checks) {
    settings.apply_to(parsed.check);
    parsed.own.apply_to(parsed.check);
    host.health.push_back(std::move(parsed.check));
  }
}

void parse_rollout(const YamlNode& node, RolloutPolicy& policy, ParseContext& ctx) {
  FieldReader reader(node, "rollout", ctx.diagnostics);
  if (const YamlNode* canary = reader.get("canary")) {
    if (auto names = read_strings(*canary, "rollout.canary", ctx.diagnostics)) {
      for (size_t i = 0; i < names->size(); ++i) {
        const YamlNode& item = canary->items()[i];
        auto ref = parse_canary_ref((*names)[i]);
        if (!ref) {
          ctx.diagnostics.error(item.location(),
                                "rollout.canary: expected a host name or "
                                "role:NAME, got '" +
                                    (*names)[i] + "'");
          continue;
        }
        ref->location = item.location();
        policy.canary.push_back(std::move(*ref));
      }
    }
  }
  policy.batch = read_count(reader, "batch", 1);
  policy.max_failures = read_count(reader, "max_failures", 0).value_or(HostCount{});
  policy.pause_seconds = read_duration(reader, "pause", 0, 3600, "0s to 1h").value_or(0);
  reader.finish();
}

void check_rollout_references(const Repo& repo, Diagnostics& diagnostics) {
  for (const auto& ref : repo.settings.rollout.canary) {
    std::string problem = check_canary_exists(ref, repo);
    if (!problem.empty()) diagnostics.error(ref.location, "rollout.canary: " + problem);
  }
}

}  // namespace reconcile::state
