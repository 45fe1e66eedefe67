// services (systemd): unit files under /etc/systemd/system, enabled /
// disabled, running / stopped. A service that fails to start is reported
// with the last lines of its journal. Restarts triggered by changed files or
// secrets are added by add_restarts() once every module has planned.

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kProbeFunction = R"SH(probe_service() {
  systemctl show --property=LoadState,ActiveState,UnitFileState -- "$1.service" 2>/dev/null |
    while IFS== read -r key value; do printf 'service %s %s %s\n' "$1" "$key" "$value"; done
  if [ -f "/etc/systemd/system/$1.service" ]; then
    printf 'service %s UnitDigest %s\n' "$1" "$(sha256sum < "/etc/systemd/system/$1.service" | cut -d' ' -f1)"
  fi
}
)SH";

std::string unit_path(const std::string& name) {
  return "/etc/systemd/system/" + name + ".service";
}

// On failure, the journal explains more than systemctl's exit code.
std::string with_journal(const std::string& command, const std::string& unit) {
  return command + " || { status=$?; journalctl -u " + unit +
         " -n 20 --no-pager >&2 2>/dev/null || true; exit $status; }\n";
}

std::optional<Change> diff_unit_file(const state::Service& service, const ServiceFacts& fact) {
  if (!service.unit) return std::nullopt;
  std::string digest = sha256_hex(*service.unit);
  if (fact.unit_digest == digest) return std::nullopt;
  Change change;
  change.module = "services";
  change.resource = "unit file " + unit_path(service.name);
  change.key = "unit:" + service.name;
  change.phase = Phase::kServices;
  change.action = fact.unit_digest ? Action::kUpdate : Action::kCreate;
  change.reason = fact.unit_digest ? "content differs" : "unit file does not exist";
  change.fields.push_back(field("sha256", fact.unit_digest ? fact.unit_digest->substr(0, 12) : "",
                                digest.substr(0, 12)));
  change.script = atomic_write_script(shell_quote(unit_path(service.name)), "root", "root", "644") +
                  "systemctl daemon-reload\n";
  change.input = *service.unit;
  return change;
}

std::optional<Change> diff_state(const state::Service& service, const ServiceFacts& fact,
                                 bool unit_changes) {
  std::string unit = shell_quote(service.name + ".service");
  bool enabled = fact.unit_file_state == "enabled" || fact.unit_file_state == "enabled-runtime";
  bool running = fact.active_state == "active" || fact.active_state == "activating" ||
                 fact.active_state == "reloading";
  Change change;
  std::vector<std::string> reasons;
  if (service.enabled && *service.enabled != enabled) {
    change.fields.push_back(
        field("enabled", enabled ? "true" : "false", *service.enabled ? "true" : "false"));
    reasons.push_back(std::string("unit is ") +
                      (fact.unit_file_state.empty() ? "unknown" : fact.unit_file_state) +
                      ", want " + (*service.enabled ? "enabled" : "disabled"));
    change.script += std::string("systemctl ") + (*service.enabled ? "enable" : "disable") +
                     " --quiet -- " + unit + "\n";
  }
  if (service.running && *service.running != running) {
    change.fields.push_back(
        field("running", running ? "true" : "false", *service.running ? "true" : "false"));
    reasons.push_back("service is " +
                      (fact.active_state.empty() ? std::string("unknown") : fact.active_state) +
                      ", want " + (*service.running ? "running" : "stopped"));
    change.script += *service.running ? with_journal("systemctl start -- " + unit, unit)
                                      : "systemctl stop -- " + unit + "\n";
  }
  if (reasons.empty()) return std::nullopt;
  change.module = "services";
  change.resource = "service " + service.name;
  change.key = "service:" + service.name;
  change.phase = Phase::kServices;
  bool missing = fact.load_state == "not-found" && !unit_changes;
  change.action = Action::kUpdate;
  change.reason = join(reasons, "; ");
  if (missing) change.reason += " (the unit does not exist yet; a package may provide it)";
  if (service.unit) change.requires_keys.push_back("unit:" + service.name);
  change.requires_keys.push_back("packages:install");
  return change;
}

}  // namespace

std::vector<ProbeFragment> probe_services(const state::Host& host) {
  std::set<std::string> names;
  for (const auto& service : host.services)
    names.insert(service.name);
  for (const auto& file : host.files)
    names.insert(file.restart.begin(), file.restart.end());
  for (const auto& secret : host.secrets)
    names.insert(secret.restart.begin(), secret.restart.end());
  if (names.empty()) return {};
  std::string script = kProbeFunction;
  for (const auto& name : names)
    script += "probe_service " + shell_quote(name) + "\n";
  return {{"services", script}};
}

Status parse_services(const Sections& sections, const state::Host&, HostFacts& facts) {
  auto it = sections.find("services");
  if (it == sections.end()) return ok();
  for (const auto& line : lines_of(it->second.text)) {
    auto words = words_of(line);
    if (words.size() < 3 || words[0] != "service") {
      return data_loss("unexpected services probe line '" + line + "'");
    }
    ServiceFacts& service = facts.services[words[1]];
    std::string value = words.size() > 3 ? words[3] : "";
    if (words[2] == "LoadState") service.load_state = value;
    if (words[2] == "ActiveState") service.active_state = value;
    if (words[2] == "UnitFileState") service.unit_file_state = value;
    if (words[2] == "UnitDigest") service.unit_digest = value;
  }
  return ok();
}

void diff_services(const DiffContext& context, std::vector<Change>& changes) {
  static const ServiceFacts unknown;
  for (const auto& service : context.host.services) {
    auto it = context.facts.services.find(service.name);
    const ServiceFacts& fact = it == context.facts.services.end() ? unknown : it->second;
    auto unit = diff_unit_file(service, fact);
    if (auto state_change = diff_state(service, fact, unit.has_value())) {
      if (unit) changes.push_back(std::move(*unit));
      changes.push_back(std::move(*state_change));
    } else if (unit) {
      changes.push_back(std::move(*unit));
    }
  }
}

void add_restarts(const state::Host& host, std::vector<Change>& changes) {
  // service -> keys of the changes that trigger its restart
  std::map<std::string, std::vector<std::string>> triggers;
  auto note = [&](const std::string& key, const std::vector<std::string>& services) {
    for (const auto& change : changes) {
      if (change.key != key) continue;
      for (const auto& service : services)
        triggers[service].push_back(key);
    }
  };
  for (const auto& file : host.files)
    note("file:" + file.path, file.restart);
  for (const auto& secret : host.secrets)
    note("secret:" + secret.name, secret.restart);
  for (auto& [service, keys] : triggers) {
    // A unit file rewritten in this run also restarts its service.
    Change change;
    change.module = "services";
    change.resource = "restart " + service;
    change.key = "restart:" + service;
    change.phase = Phase::kRestarts;
    change.action = Action::kUpdate;
    std::vector<std::string> what;
    for (const auto& key : keys)
      what.push_back(key.substr(key.find(':') + 1));
    change.reason =
        "restart because " + join(what, ", ") + " change" + (what.size() == 1 ? "s" : "");
    change.triggered_by = keys;
    change.requires_keys = {"service:" + service};
    std::string unit = shell_quote(service + ".service");
    bool declared_running = false;
    for (const auto& declared : host.services) {
      if (declared.name == service && declared.running == true) declared_running = true;
    }
    // try-restart leaves a stopped service stopped; a service declared running
    // is restarted (and so started) either way.
    change.script = with_journal(
        std::string("systemctl ") + (declared_running ? "restart" : "try-restart") + " -- " + unit,
        unit);
    changes.push_back(std::move(change));
  }
}

}  // namespace reconcile::modules
