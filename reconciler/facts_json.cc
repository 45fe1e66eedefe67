#include "reconciler/facts_json.h"

namespace reconcile {

namespace {

nlohmann::json package_states(const std::map<std::string, modules::PackageState>& states) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, state] : states)
    out[name] = modules::package_state_name(state);
  return out;
}

// fail2ban and auto_updates, for hosts that use them (their probe always
// reports the packages they need).
void add_security_update_facts(const modules::HostFacts& facts, nlohmann::json& out) {
  const modules::Fail2banFacts& f = facts.fail2ban;
  if (!f.packages.empty()) {
    out["fail2ban"] = {
        {"packages", package_states(f.packages)},
        {"jail_file_sha256", f.jail_digest ? nlohmann::json(*f.jail_digest) : nlohmann::json()},
        {"enabled", f.enabled},
        {"active", f.active}};
  }
  const modules::AutoUpdatesFacts& a = facts.auto_updates;
  if (!a.packages.empty()) {
    out["auto_updates"] = {
        {"packages", package_states(a.packages)},
        {"settings_file_sha256",
         a.settings_digest ? nlohmann::json(*a.settings_digest) : nlohmann::json()},
        {"settings", a.settings},
        {"timers", a.timers}};
  }
}

}  // namespace

nlohmann::json facts_json(const modules::HostFacts& facts) {
  const modules::SystemFacts& system = facts.system;
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& mount : system.mounts) {
    mounts.push_back({{"source", mount.source},
                      {"target", mount.target},
                      {"fstype", mount.fstype},
                      {"options", mount.options}});
  }
  nlohmann::json users = nlohmann::json::object();
  for (const auto& [name, user] : facts.users) {
    if (!user) {
      users[name] = nullptr;
      continue;
    }
    users[name] = {{"uid", user->uid},       {"gid", user->gid},   {"group", user->primary_group},
                   {"groups", user->groups}, {"home", user->home}, {"shell", user->shell}};
  }
  nlohmann::json groups = nlohmann::json::object();
  for (const auto& [name, group] : facts.groups) {
    groups[name] =
        group ? nlohmann::json{{"gid", group->gid}, {"members", group->members}} : nlohmann::json();
  }
  nlohmann::json services = nlohmann::json::object();
  for (const auto& [name, service] : facts.services) {
    services[name] = {{"load_state", service.load_state},
                      {"active_state", service.active_state},
                      {"unit_file_state", service.unit_file_state}};
  }
  nlohmann::json firewall;
  if (facts.firewall.probed) {
    const modules::FirewallFacts& f = facts.firewall;
    firewall = {{"nft_installed", f.nft_installed},
                {"table", f.table_exists},
                {"policy", f.live_policy},
                {"rules", f.rule_count},
                {"live_digest", f.live_digest},
                {"recorded", f.recorded_rendered && f.recorded_live
                                 ? nlohmann::json(*f.recorded_rendered + " " + *f.recorded_live)
                                 : nlohmann::json()},
                {"persisted_digest",
                 f.persisted_digest ? nlohmann::json(*f.persisted_digest) : nlohmann::json()},
                {"included", f.included},
                {"service", f.service_state}};
  }
  nlohmann::json result = {{"os",
                            {{"id", system.os_id},
                             {"version_id", system.os_version_id},
                             {"pretty_name", system.os_pretty_name}}},
                           {"kernel", system.kernel},
                           {"architecture", system.architecture},
                           {"hostname", system.hostname},
                           {"boot_mode", system.boot_mode},
                           {"init", system.init},
                           {"package_manager", system.package_manager},
                           {"memory_bytes", system.memory_bytes},
                           {"uid", system.uid},
                           {"secrets_tmpfs", system.secrets_tmpfs},
                           {"tools", system.tools},
                           {"block_devices", system.block_devices},
                           {"mounts", mounts},
                           {"interfaces", system.interfaces},
                           {"routes", system.routes},
                           {"groups", groups},
                           {"users", users},
                           {"packages_installed", facts.packages.installed},
                           {"services", services}};
  const modules::SshdFacts& sshd = facts.sshd;
  if (sshd.present) {
    result["sshd"] = {{"dropin_sha256",
                       sshd.dropin_digest ? nlohmann::json(*sshd.dropin_digest) : nlohmann::json()},
                      {"includes_dropins", sshd.include},
                      {"conflicts", sshd.conflicts},
                      {"effective", sshd.effective}};
    if (sshd.effective_error) result["sshd"]["effective_error"] = *sshd.effective_error;
  }
  if (facts.firewall.probed) result["firewall"] = firewall;
  add_security_update_facts(facts, result);
  return result;
}

}  // namespace reconcile
