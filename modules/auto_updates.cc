// auto_updates (security.auto_updates): automatic updates on Debian and
// Ubuntu through unattended-upgrades, which apt's own timers start
// (apt-daily.timer refreshes the index, apt-daily-upgrade.timer runs
// unattended-upgrade) when the APT::Periodic settings allow it. Other package
// managers make the host refuse to plan.
//
// The settings go to one file, /etc/apt/apt.conf.d/52reconcile-auto-updates.
// apt reads that directory in name order and the last value read wins, so 52
// overrides Debian's 20auto-upgrades and 50unattended-upgrades. Drift is
// checked twice: the file's digest, and the effective values apt-config
// reports, so a later file that overrides one of ours shows up as drift and
// the change that rewrites the file fails, saying which key is overridden,
// instead of reporting success.
//
// An apt.conf syntax error breaks every apt command on the host, so after
// the file is written `apt-config dump` must still parse the configuration;
// if it cannot, the previous file (or none) is put back and the change fails.

#include "modules/module.h"
#include "modules/needed_packages.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kSettingsFile = "/etc/apt/apt.conf.d/52reconcile-auto-updates";
const char* kPackage = "unattended-upgrades";
const char* kPackageKey = "auto_updates:package";
const std::vector<std::string> kTimers = {"apt-daily.timer", "apt-daily-upgrade.timer"};

using Settings = std::vector<std::pair<std::string, std::string>>;

Settings wanted_settings(const state::AutoUpdates& updates) {
  std::string days = updates.schedule == "daily" ? "1" : updates.schedule == "weekly" ? "7" : "0";
  Settings settings = {{"APT::Periodic::Update-Package-Lists", days},
                       {"APT::Periodic::Unattended-Upgrade", days},
                       {"Unattended-Upgrade::Automatic-Reboot", updates.reboot ? "true" : "false"}};
  if (updates.reboot && updates.reboot_time) {
    settings.push_back({"Unattended-Upgrade::Automatic-Reboot-Time", *updates.reboot_time});
  }
  return settings;
}

std::string setting_line(const std::string& key, const std::string& value) {
  return key + " \"" + value + "\";";
}

std::optional<Change> package_change(const DiffContext& context) {
  if (context.host.security.auto_updates->schedule == "off") return std::nullopt;
  auto change = needed_packages_change(context.facts.system.package_manager,
                                       context.facts.auto_updates.packages, {kPackage});
  if (!change) return std::nullopt;
  change->module = "auto_updates";
  change->resource = "unattended-upgrades package";
  change->key = kPackageKey;
  return change;
}

// Writes the file; restores the previous one if apt can no longer parse its
// configuration; then checks that apt sees every value we set.
std::string settings_script(const Settings& settings) {
  std::string target = shell_quote(kSettingsFile);
  std::string script = "backup=\n";
  script += "if [ -f " + target + " ]; then\n";
  script += "  backup=$(mktemp -- /etc/apt/.reconcile-backup.XXXXXX)\n";
  script += "  cp -p -- " + target + " \"$backup\"\n";
  script += "fi\n";
  script += atomic_write_script(target, "root", "root", "644");
  script += "trap '[ -z \"$backup\" ] || rm -f -- \"$backup\"' EXIT\n";
  script += "if ! dump=$(apt-config dump 2>&1); then\n";
  script += "  if [ -n \"$backup\" ]; then mv -f -- \"$backup\" " + target +
            "; backup=; else rm -f -- " + target + "; fi\n";
  script += "  printf '%s\\n' \"$dump\" >&2\n";
  script += "  echo 'apt cannot read its configuration with the new " + std::string(kSettingsFile) +
            "; the previous file is back' >&2\n";
  script += "  exit 1\n";
  script += "fi\n";
  for (const auto& [key, value] : settings) {
    script += "printf '%s\\n' \"$dump\" | grep -qxF -- " + shell_quote(setting_line(key, value)) +
              " || { echo " +
              shell_quote(key + " is not \"" + value + "\" after writing " + kSettingsFile +
                          ": a file read later in /etc/apt/apt.conf.d overrides it") +
              " >&2; exit 1; }\n";
  }
  return script;
}

std::optional<Change> settings_change(const DiffContext& context) {
  const AutoUpdatesFacts& facts = context.facts.auto_updates;
  Settings settings = wanted_settings(*context.host.security.auto_updates);
  std::string rendered = render_auto_updates(*context.host.security.auto_updates);
  std::string want = sha256_hex(rendered);
  Change change;
  std::vector<std::string> reasons;
  if (facts.settings_digest != want) {
    change.fields.push_back(field("sha256",
                                  facts.settings_digest ? facts.settings_digest->substr(0, 12) : "",
                                  want.substr(0, 12)));
    reasons.push_back(std::string(kSettingsFile) +
                      (facts.settings_digest ? " differs" : " does not exist"));
  }
  for (const auto& [key, value] : settings) {
    auto it = facts.settings.find(key);
    std::string effective = it == facts.settings.end() ? "" : it->second;
    if (effective == value) continue;
    change.fields.push_back(field(key, effective, value));
    if (facts.settings_digest == want) {
      reasons.push_back(key + " is \"" + effective + "\", want \"" + value +
                        "\": a file read later in /etc/apt/apt.conf.d overrides it");
    }
  }
  if (change.fields.empty()) return std::nullopt;
  change.module = "auto_updates";
  change.resource = std::string("auto-updates settings ") + kSettingsFile;
  change.key = "auto_updates:settings";
  change.action = facts.settings_digest ? Action::kUpdate : Action::kCreate;
  change.phase = Phase::kFiles;
  change.reason = join(reasons, "; ");
  change.requires_keys = {kPackageKey};
  change.script = settings_script(settings);
  change.input = rendered;
  return change;
}

std::optional<Change> timers_change(const DiffContext& context) {
  if (context.host.security.auto_updates->schedule == "off") return std::nullopt;
  if (context.facts.system.init != "systemd") return std::nullopt;  // apt's cron job runs them
  Change change;
  std::vector<std::string> reasons;
  for (const auto& timer : kTimers) {
    auto it = context.facts.auto_updates.timers.find(timer);
    std::string state = it == context.facts.auto_updates.timers.end() ? "unknown" : it->second;
    if (state == "enabled") continue;
    change.fields.push_back(field(timer, state, "enabled"));
    reasons.push_back(timer + " is " + state + ", want enabled");
  }
  if (reasons.empty()) return std::nullopt;
  change.module = "auto_updates";
  change.resource = "apt timers";
  change.key = "auto_updates:timers";
  change.action = Action::kUpdate;
  change.phase = Phase::kServices;
  change.reason = join(reasons, "; ");
  change.script = "systemctl enable --now --quiet " + join(kTimers, " ") + "\n";
  return change;
}

}  // namespace

std::string render_auto_updates(const state::AutoUpdates& updates) {
  std::string text =
      "// Managed by reconcile; local changes are reverted.\n"
      "// security.auto_updates: " +
      updates.schedule + (updates.reboot ? ", reboot" : "") + "\n";
  for (const auto& [key, value] : wanted_settings(updates))
    text += setting_line(key, value) + "\n";
  return text;
}

std::vector<ProbeFragment> probe_auto_updates(const state::Host& host) {
  if (!host.security.auto_updates) return {};
  std::string script = needed_packages_probe({kPackage});
  script += file_digest_probe(kSettingsFile, "file");
  script +=
      "if command -v apt-config >/dev/null 2>&1; then\n"
      "  apt-config dump 2>/dev/null | grep -E "
      "'^(APT::Periodic::(Update-Package-Lists|Unattended-Upgrade)|"
      "Unattended-Upgrade::Automatic-Reboot(-Time)?) ' | sed 's/^/setting /' || true\n"
      "fi\n"
      "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then\n"
      "  for t in " +
      join(kTimers, " ") +
      "; do\n"
      "    s=$(systemctl is-enabled \"$t\" 2>/dev/null || true)\n"
      "    printf 'timer %s %s\\n' \"$t\" \"${s:-not-found}\"\n"
      "  done\n"
      "fi\n";
  return {{"auto-updates", script}};
}

Status parse_auto_updates(const Sections& sections, const state::Host& host, HostFacts& facts) {
  if (!host.security.auto_updates) return ok();
  auto it = sections.find("auto-updates");
  if (it == sections.end()) return ok();
  AutoUpdatesFacts& out = facts.auto_updates;
  for (const auto& line : lines_of(it->second.text)) {
    auto [kind, rest] = split_first(line);
    auto words = words_of(rest);
    auto [key, value] = split_first(rest);  // setting: KEY "VALUE";
    if (kind == "package") {
      TRY(parse_needed_package_line(line, out.packages));
    } else if (kind == "file" && rest.size() == 64 &&
               rest.find_first_not_of("0123456789abcdef") == std::string::npos) {
      out.settings_digest = rest;
    } else if (kind == "setting" && !key.empty() && value.size() >= 3 && value.front() == '"' &&
               value.substr(value.size() - 2) == "\";") {
      out.settings[key] = value.substr(1, value.size() - 3);
    } else if (kind == "timer" && words.size() == 2) {
      out.timers[words[0]] = words[1];
    } else {
      return data_loss("unexpected auto-updates probe line '" + line + "'");
    }
  }
  return ok();
}

void diff_auto_updates(const DiffContext& context, std::vector<Change>& changes) {
  if (!context.host.security.auto_updates) return;
  const std::string& manager = context.facts.system.package_manager;
  if (manager != "apt") {
    context.refuse("security.auto_updates works through apt and unattended-upgrades (Debian, " +
                   std::string("Ubuntu); this host's package manager is ") +
                   (manager.empty() ? "unknown" : manager));
    return;
  }
  if (auto change = package_change(context)) changes.push_back(std::move(*change));
  if (auto change = settings_change(context)) changes.push_back(std::move(*change));
  if (auto change = timers_change(context)) changes.push_back(std::move(*change));
}

}  // namespace reconcile::modules
