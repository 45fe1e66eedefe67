// fail2ban (security.fail2ban): the declared jails in one file of
// fail2ban's own drop-in directory, /etc/fail2ban/jail.d/reconcile.local,
// which is read after jail.conf and the distribution's defaults, so its
// values win. The sshd jail watches the ports sshd listens on once the ssh
// module has converged (modules/security.h).
//
// Four changes, ordered by phase and tied together by keys: the packages
// (fail2ban and nftables, plus python3-systemd where the sshd jail reads the
// journal), the jail file, the service (enabled and running) and a reload
// that runs only when the jail file was written. The file is checked with
// `fail2ban-client -t` right after it is written; a configuration fail2ban
// rejects is replaced by the previous file at once and fails the change, so
// the running fail2ban never loads it and the service and reload are
// skipped.
//
// Bans go to nftables (fail2ban's own table, inet f2b-table, beside the
// firewall module's inet reconcile): jail.conf's default action is
// iptables, which Debian 12 does not install, and fail2ban only recommends a
// firewall, so without this a jail would start and then fail every ban.
//
// Debian 12 has no /var/log/auth.log unless rsyslog is installed (sshd logs
// to the journal only), and with the default backend the sshd jail finds no
// log file and fail2ban refuses to start. There the file sets the sshd
// jail's backend to systemd: in a declared sshd jail, and through
// `sshd_backend` in [DEFAULT] for Debian's own default sshd jail
// (jail.d/defaults-debian.conf) when the host declares other jails only.
//
// A host without systemd gets the package and the file; the service change
// then fails with a message saying so (reconcile does not start daemons
// without systemd), and the reload is not planned.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "modules/module.h"
#include "modules/needed_packages.h"
#include "modules/scripts.h"
#include "modules/security.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kJailFile = "/etc/fail2ban/jail.d/reconcile.local";
const char* kPackageKey = "fail2ban:package";
const char* kJailsKey = "fail2ban:jails";
const char* kServiceKey = "fail2ban:service";

bool reads_journal(const SystemFacts& system) {
  return system.os_id == "debian" && system.os_version_id == "12";
}

// Durations are written in seconds, which every fail2ban version reads the
// same way; -1 (ban forever) stays as it is.
std::string seconds_text(const std::string& duration) {
  if (duration == "-1") return duration;
  auto seconds = state::parse_duration_seconds(duration);
  return seconds ? std::to_string(*seconds) : duration;
}

std::string ports_text(const state::Host& host) {
  std::vector<std::string> ports;
  for (int port : sshd_ports(host))
    ports.push_back(std::to_string(port));
  return join(ports, ",");
}

std::string render_jail(const state::Host& host, const state::Fail2banJail& jail,
                        bool journal_backend) {
  std::string text = "[" + jail.name + "]\n";
  text += std::string("enabled = ") + (jail.enabled ? "true" : "false") + "\n";
  if (jail.name == "sshd") text += "port = " + ports_text(host) + "\n";
  if (jail.maxretry) text += "maxretry = " + std::to_string(*jail.maxretry) + "\n";
  if (jail.findtime) text += "findtime = " + seconds_text(*jail.findtime) + "\n";
  if (jail.bantime) text += "bantime = " + seconds_text(*jail.bantime) + "\n";
  if (jail.bantime_increment) {
    text +=
        std::string("bantime.increment = ") + (*jail.bantime_increment ? "true" : "false") + "\n";
  }
  if (jail.name == "sshd" && journal_backend) text += "backend = systemd\n";
  return text;
}

std::vector<std::string> needed_packages(const HostFacts& facts) {
  std::vector<std::string> names = {"fail2ban", "nftables"};
  if (reads_journal(facts.system)) names.push_back("python3-systemd");
  return names;
}

std::optional<Change> package_change(const DiffContext& context) {
  auto change =
      needed_packages_change(context.facts.system.package_manager, context.facts.fail2ban.packages,
                             needed_packages(context.facts));
  if (!change) return std::nullopt;
  change->module = "fail2ban";
  change->resource = "fail2ban package";
  change->key = kPackageKey;
  return change;
}

// Writes the file, then lets fail2ban read its whole configuration; if it
// rejects it, the previous file (or none) is back before the script fails.
std::string jail_file_script() {
  std::string target = shell_quote(kJailFile);
  std::string script = "backup=\n";
  script += "if [ -f " + target + " ]; then\n";
  script += "  backup=$(mktemp -- /etc/fail2ban/.reconcile-backup.XXXXXX)\n";
  script += "  cp -p -- " + target + " \"$backup\"\n";
  script += "fi\n";
  script += atomic_write_script(target, "root", "root", "644");
  script += "trap '[ -z \"$backup\" ] || rm -f -- \"$backup\"' EXIT\n";
  script += "if ! command -v fail2ban-client >/dev/null 2>&1; then\n";
  script += "  echo 'fail2ban-client is not installed: cannot check the jail file' >&2\n";
  script += "  exit 1\n";
  script += "fi\n";
  script += "if ! output=$(fail2ban-client -t 2>&1); then\n";
  script += "  if [ -n \"$backup\" ]; then mv -f -- \"$backup\" " + target +
            "; backup=; else rm -f -- " + target + "; fi\n";
  // fail2ban's messages without their timestamps, and without warnings.
  script +=
      "  printf '%s\\n' \"$output\" | grep -v WARNING |\n"
      "    sed 's/^[0-9][0-9-]* [0-9:,]* *[a-z0-9.]* *\\[[0-9]*\\]: *//' >&2 || true\n";
  script += "  echo 'fail2ban rejected the configuration (fail2ban-client -t); the previous " +
            std::string(kJailFile) + " is back' >&2\n";
  script += "  exit 1\n";
  script += "fi\n";
  return script;
}

std::optional<Change> jail_file_change(const DiffContext& context, const std::string& rendered) {
  const auto& digest = context.facts.fail2ban.jail_digest;
  std::string want = sha256_hex(rendered);
  if (digest == want) return std::nullopt;
  Change change;
  change.module = "fail2ban";
  change.resource = std::string("fail2ban jails ") + kJailFile;
  change.key = kJailsKey;
  change.action = digest ? Action::kUpdate : Action::kCreate;
  change.phase = Phase::kFiles;
  change.fields.push_back(field("sha256", digest ? digest->substr(0, 12) : "", want.substr(0, 12)));
  change.reason = std::string(kJailFile) + (digest ? " differs" : " does not exist");
  change.requires_keys = {kPackageKey};
  change.script = jail_file_script();
  change.input = rendered;
  return change;
}

std::optional<Change> service_change(const DiffContext& context) {
  const Fail2banFacts& facts = context.facts.fail2ban;
  Change change;
  change.module = "fail2ban";
  change.resource = "service fail2ban";
  change.key = kServiceKey;
  change.action = Action::kUpdate;
  change.phase = Phase::kServices;
  change.requires_keys = {kPackageKey, kJailsKey};
  const std::string& init = context.facts.system.init;
  if (init != "systemd") {
    change.reason = "this host has no systemd (init is " + (init.empty() ? "unknown" : init) +
                    "): reconcile enables and starts fail2ban through systemd only";
    change.fields.push_back(field("running", "unknown", "true"));
    change.script = "echo " + shell_quote(change.reason) + " >&2\nexit 1\n";
    return change;
  }
  std::vector<std::string> reasons;
  if (facts.enabled != "enabled") {
    change.fields.push_back(field("enabled", facts.enabled, "enabled"));
    reasons.push_back("unit is " + (facts.enabled.empty() ? "unknown" : facts.enabled) +
                      ", want enabled");
    change.script += "systemctl enable --quiet fail2ban.service\n";
  }
  if (facts.active != "active") {
    change.fields.push_back(field("running", facts.active, "active"));
    reasons.push_back("service is " + (facts.active.empty() ? "unknown" : facts.active) +
                      ", want running");
    change.script +=
        "systemctl start fail2ban.service || { status=$?; journalctl -u fail2ban.service -n 20 "
        "--no-pager >&2 2>/dev/null || true; exit $status; }\n";
  }
  if (reasons.empty()) return std::nullopt;
  change.reason = join(reasons, "; ");
  return change;
}

Change reload_change() {
  Change change;
  change.module = "fail2ban";
  change.resource = "reload fail2ban";
  change.key = "fail2ban:reload";
  change.action = Action::kUpdate;
  change.phase = Phase::kRestarts;
  change.reason = std::string("reload because ") + kJailFile + " changes";
  change.triggered_by = {kJailsKey};
  change.requires_keys = {kServiceKey};
  // A plain reload keeps a jail's running actions as they are: its nftables
  // rule would go on blocking the old sshd port. --restart stops and starts
  // the jails, so actions pick up the new settings; current bans are kept
  // (restored from fail2ban's database).
  // A service the run has just started answers on its socket a moment
  // later: wait for it (up to 30 s) before the reload.
  change.script =
      "tries=0\n"
      "until fail2ban-client ping >/dev/null 2>&1; do\n"
      "  tries=$((tries + 1))\n"
      "  if [ \"$tries\" -ge 60 ]; then echo 'fail2ban did not answer within 30 s' >&2; break; fi\n"
      "  sleep 0.5\n"
      "done\n"
      "fail2ban-client reload --restart || { status=$?; journalctl -u "
      "fail2ban.service -n 20 --no-pager >&2 2>/dev/null || true; exit $status; }\n";
  return change;
}

}  // namespace

std::string render_fail2ban_jails(const state::Host& host, bool journal_backend) {
  std::string text =
      "# Managed by reconcile; local changes are reverted.\n"
      "# The jails of security.fail2ban; durations are in seconds.\n"
      "\n[DEFAULT]\n"
      "# Bans go to nftables, in fail2ban's own table (inet f2b-table).\n"
      "banaction = nftables-multiport\n"
      "banaction_allports = nftables-allports\n";
  if (journal_backend) {
    text +=
        "# sshd logs to the journal only on this host (no /var/log/auth.log).\n"
        "sshd_backend = systemd\n";
  }
  std::vector<const state::Fail2banJail*> jails;
  for (const auto& jail : *host.security.fail2ban)
    jails.push_back(&jail);
  std::sort(jails.begin(), jails.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  for (const auto* jail : jails)
    text += "\n" + render_jail(host, *jail, journal_backend);
  return text;
}

std::vector<ProbeFragment> probe_fail2ban(const state::Host& host) {
  if (!host.security.fail2ban) return {};
  std::string script = needed_packages_probe({"fail2ban", "nftables", "python3-systemd"});
  script += file_digest_probe(kJailFile, "jail");
  script +=
      "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then\n"
      "  s=$(systemctl is-enabled fail2ban.service 2>/dev/null || true)\n"
      "  printf 'enabled %s\\n' \"${s:-not-found}\"\n"
      "  s=$(systemctl is-active fail2ban.service 2>/dev/null || true)\n"
      "  printf 'active %s\\n' \"${s:-unknown}\"\n"
      "fi\n";
  return {{"fail2ban", script}};
}

Status parse_fail2ban(const Sections& sections, const state::Host& host, HostFacts& facts) {
  if (!host.security.fail2ban) return ok();
  auto it = sections.find("fail2ban");
  if (it == sections.end()) return ok();
  Fail2banFacts& out = facts.fail2ban;
  for (const auto& line : lines_of(it->second.text)) {
    auto [kind, rest] = split_first(line);
    if (kind == "package") {
      TRY(parse_needed_package_line(line, out.packages));
    } else if (kind == "jail" && rest.size() == 64 &&
               rest.find_first_not_of("0123456789abcdef") == std::string::npos) {
      out.jail_digest = rest;
    } else if ((kind == "enabled" || kind == "active") && words_of(rest).size() == 1) {
      (kind == "enabled" ? out.enabled : out.active) = rest;
    } else {
      return data_loss("unexpected fail2ban probe line '" + line + "'");
    }
  }
  return ok();
}

void diff_fail2ban(const DiffContext& context, std::vector<Change>& changes) {
  if (!context.host.security.fail2ban) return;
  if (auto change = package_change(context)) changes.push_back(std::move(*change));
  std::string rendered = render_fail2ban_jails(context.host, reads_journal(context.facts.system));
  auto file = jail_file_change(context, rendered);
  bool file_changes = file.has_value();
  if (file) changes.push_back(std::move(*file));
  if (auto change = service_change(context)) changes.push_back(std::move(*change));
  if (file_changes && context.facts.system.init == "systemd") changes.push_back(reload_change());
}

}  // namespace reconcile::modules
