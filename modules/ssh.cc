// ssh: sshd hardening (security.ssh) as one drop-in,
// /etc/ssh/sshd_config.d/50-reconcile.conf. sshd keeps the first value it
// reads for most keywords, and adds up Port, AllowUsers and AllowGroups
// wherever they appear, so the module also makes sure that sshd_config
// includes the drop-in directory before its own directives and comments out
// the directives that would override or add to the drop-in's (in
// sshd_config and in drop-ins that sort before ours). The new files are
// checked with `sshd -t` before sshd reloads; a rejected configuration is
// put back as it was and never activated. The change runs under the lockout
// guard (reconciler/lockout_guard.h).

#include <algorithm>
#include <set>

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/security.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kDropIn = "/etc/ssh/sshd_config.d/50-reconcile.conf";

// One managed keyword: how it is spelt in sshd_config, how `sshd -T` prints
// it, and its desired value in `sshd -T` form ("" when the host does not set
// it). Keywords that add up (Port, AllowUsers, AllowGroups) compare as sets.
struct Keyword {
  std::string spelling;  // "PasswordAuthentication"
  std::string name;      // "passwordauthentication"
  std::vector<std::string> want;
  bool adds_up = false;
};

std::string yes_no(bool value) {
  return value ? "yes" : "no";
}

std::vector<Keyword> managed_keywords(const state::SshHardening& ssh) {
  std::vector<Keyword> keywords;
  if (!ssh.ports.empty()) {
    Keyword port{"Port", "port", {}, true};
    std::set<int> ports(ssh.ports.begin(), ssh.ports.end());
    for (int p : ports)
      port.want.push_back(std::to_string(p));
    keywords.push_back(port);
  }
  if (ssh.password_auth) {
    keywords.push_back(
        {"PasswordAuthentication", "passwordauthentication", {yes_no(*ssh.password_auth)}, false});
  }
  if (ssh.permit_root_login) {
    // sshd -T prints prohibit-password by its older name.
    std::string value =
        *ssh.permit_root_login == "prohibit-password" ? "without-password" : *ssh.permit_root_login;
    keywords.push_back({"PermitRootLogin", "permitrootlogin", {value}, false});
  }
  if (ssh.kbd_interactive) {
    keywords.push_back({"KbdInteractiveAuthentication",
                        "kbdinteractiveauthentication",
                        {yes_no(*ssh.kbd_interactive)},
                        false});
  }
  if (!ssh.allow_users.empty()) {
    std::set<std::string> users(ssh.allow_users.begin(), ssh.allow_users.end());
    keywords.push_back({"AllowUsers", "allowusers", {users.begin(), users.end()}, true});
  }
  if (!ssh.allow_groups.empty()) {
    std::set<std::string> groups(ssh.allow_groups.begin(), ssh.allow_groups.end());
    keywords.push_back({"AllowGroups", "allowgroups", {groups.begin(), groups.end()}, true});
  }
  if (!ssh.ciphers.empty()) keywords.push_back({"Ciphers", "ciphers", {join(ssh.ciphers, ",")}});
  if (!ssh.kex.empty()) {
    keywords.push_back({"KexAlgorithms", "kexalgorithms", {join(ssh.kex, ",")}});
  }
  if (!ssh.macs.empty()) keywords.push_back({"MACs", "macs", {join(ssh.macs, ",")}});
  return keywords;
}

// The keywords, lower case, that the conflict finder looks for. The old name
// of KbdInteractiveAuthentication still works in sshd_config.
std::string conflict_keywords(const std::vector<Keyword>& keywords) {
  std::vector<std::string> names;
  for (const auto& keyword : keywords) {
    names.push_back(keyword.name);
    if (keyword.name == "kbdinteractiveauthentication") {
      names.push_back("challengeresponseauthentication");
    }
  }
  return join(names, " ");
}

// Shell function `sshd_conflicts MODE ACTION FILE`: the lines of FILE that
// would override the drop-in or add to it. MODE is `before` (a file sshd
// reads before the drop-in: every managed keyword), `after` (read after it:
// only the keywords that add up) or `main` (sshd_config: `before` until its
// Include of sshd_config.d, `after` from there). Lines inside Match blocks
// are conditional and left alone. ACTION `report` prints "conflict
// FILE:LINE: TEXT"; `fix` prints the file with those lines commented out.
std::string conflicts_function(const std::string& keywords) {
  return "sshd_keywords=" + shell_quote(keywords) + "\n" + R"SH(sshd_conflicts() {
  awk -v mode="$1" -v action="$2" -v keys="$sshd_keywords" '
    BEGIN {
      n = split(keys, list, " "); for (i = 1; i <= n; i++) managed[list[i]] = 1
      adds["port"] = 1; adds["allowusers"] = 1; adds["allowgroups"] = 1
      state = (mode == "main") ? "before" : mode
    }
    {
      word = tolower($1); sub(/=.*/, "", word)
      if (word == "match") inmatch = 1
      hit = (!inmatch && (word in managed) && (state == "before" || (word in adds)))
      if (mode == "main" && word == "include" && $2 == "/etc/ssh/sshd_config.d/*.conf") state = "after"
      if (action == "report") { if (hit) printf "conflict %s:%d: %s\n", FILENAME, FNR, $0 }
      else if (hit) print "# disabled by reconcile (security.ssh): " $0
      else print
    }' "$3"
}
sshd_has_include() {
  grep -qiE '^[[:space:]]*include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf[[:space:]]*$' /etc/ssh/sshd_config
}
# sshd_each_file FUNCTION: calls FUNCTION MODE FILE for sshd_config and for
# every other drop-in, in the order sshd reads them.
sshd_each_file() {
  if sshd_has_include; then "$1" main /etc/ssh/sshd_config; else "$1" after /etc/ssh/sshd_config; fi
  sshd_mode=before
  printf '%s\n' /etc/ssh/sshd_config.d/*.conf /etc/ssh/sshd_config.d/50-reconcile.conf | sort -u |
    while IFS= read -r file; do
      if [ "$file" = /etc/ssh/sshd_config.d/50-reconcile.conf ]; then sshd_mode=after; continue; fi
      [ -f "$file" ] || continue
      "$1" "$sshd_mode" "$file"
    done
}
)SH";
}

std::string render_dropin(const std::vector<Keyword>& keywords) {
  std::string text = "# Managed by reconcile (security.ssh); local changes are reverted.\n";
  for (const auto& keyword : keywords) {
    if (keyword.name == "port") {
      for (const auto& port : keyword.want)
        text += "Port " + port + "\n";
    } else if (keyword.name == "permitrootlogin") {
      text += "PermitRootLogin " +
              std::string(keyword.want[0] == "without-password" ? "prohibit-password"
                                                                : keyword.want[0]) +
              "\n";
    } else {
      text += keyword.spelling + " " + join(keyword.want, " ") + "\n";
    }
  }
  return text;
}

std::string probe_script(const std::vector<Keyword>& keywords) {
  std::string names;
  for (const auto& keyword : keywords)
    names += (names.empty() ? "" : "|") + keyword.name;
  if (names.empty()) names = "no-keyword-managed";
  std::string script = conflicts_function(conflict_keywords(keywords));
  script +=
      R"SH(if [ ! -x /usr/sbin/sshd ] || [ ! -f /etc/ssh/sshd_config ]; then echo nosshd; exit 0; fi
if [ -f /etc/ssh/sshd_config.d/50-reconcile.conf ]; then
  digest=$(sha256sum < /etc/ssh/sshd_config.d/50-reconcile.conf); echo "dropin ${digest%% *}"
fi
if sshd_has_include; then echo include; fi
if [ -d /run/systemd/system ] && systemctl is-active --quiet ssh.socket </dev/null 2>/dev/null; then
  echo socket
fi
sshd_report() { sshd_conflicts "$1" report "$2"; }
sshd_each_file sshd_report
if effective=$(/usr/sbin/sshd -T 2>/dev/null); then
  printf '%s\n' "$effective" | awk '$1 ~ /^()SH" +
      names + R"SH()$/ { print "effective " $0 }'
else
  printf 'effective-error %s\n' "$(/usr/sbin/sshd -T 2>&1 >/dev/null | head -n 1)"
fi
)SH";
  return script;
}

// The change's script; the drop-in's text follows on stdin.
std::string apply_script(const std::vector<Keyword>& keywords) {
  std::string script = conflicts_function(conflict_keywords(keywords));
  script +=
      R"SH([ -f /etc/ssh/sshd_config ] || { echo "/etc/ssh/sshd_config does not exist" >&2; exit 1; }
backup=$(mktemp -d /var/tmp/reconcile-sshd.XXXXXX)
mkdir -p /etc/ssh/sshd_config.d
cp -a /etc/ssh/sshd_config "$backup/sshd_config"
cp -a /etc/ssh/sshd_config.d "$backup/sshd_config.d"
sshd_restore() {
  cp -a "$backup/sshd_config" /etc/ssh/sshd_config
  rm -rf /etc/ssh/sshd_config.d
  cp -a "$backup/sshd_config.d" /etc/ssh/sshd_config.d
}
)SH";
  script += atomic_write_script(shell_quote(kDropIn), "root", "root", "644");
  script += R"SH(if ! sshd_has_include; then
  {
    echo '# Added by reconcile: the drop-ins come first, sshd keeps the first value it reads.'
    echo 'Include /etc/ssh/sshd_config.d/*.conf'
    cat /etc/ssh/sshd_config
  } > /etc/ssh/sshd_config.reconcile-new
  chmod --reference=/etc/ssh/sshd_config /etc/ssh/sshd_config.reconcile-new
  mv -f /etc/ssh/sshd_config.reconcile-new /etc/ssh/sshd_config
fi
sshd_fix() {
  if [ -n "$(sshd_conflicts "$1" report "$2")" ]; then
    sshd_conflicts "$1" fix "$2" > "$2.reconcile-new"
    chmod --reference="$2" "$2.reconcile-new"
    mv -f "$2.reconcile-new" "$2"
  fi
}
sshd_each_file sshd_fix
if ! checked=$(/usr/sbin/sshd -t 2>&1 </dev/null); then
  sshd_restore
  rm -rf "$backup"
  printf 'sshd -t rejected the new configuration; nothing was activated and the previous files are back:\n%s\n' "$checked" >&2
  exit 1
fi
rm -rf "$backup"
)SH";
  script += sshd_reload_script();
  return script;
}

std::string show(const std::vector<std::string>& values) {
  return values.empty() ? "(none)" : join(values, " ");
}

}  // namespace

std::vector<ProbeFragment> probe_ssh(const state::Host& host) {
  if (!host.security.ssh) return {};
  return {{"ssh", probe_script(managed_keywords(*host.security.ssh))}};
}

Status parse_ssh(const Sections& sections, const state::Host& host, HostFacts& facts) {
  if (!host.security.ssh) return ok();
  auto it = sections.find("ssh");
  if (it == sections.end()) return data_loss("no ssh section in the probe output");
  SshdFacts& sshd = facts.sshd;
  sshd.present = true;
  for (const auto& line : lines_of(it->second.text)) {
    auto [kind, rest] = split_first(line);
    if (kind == "nosshd") {
      sshd.present = false;
    } else if (kind == "dropin") {
      if (rest.size() != 64) return data_loss("bad sshd drop-in digest '" + rest + "'");
      sshd.dropin_digest = rest;
    } else if (kind == "include") {
      sshd.include = true;
    } else if (kind == "socket") {
      sshd.socket_activated = true;
    } else if (kind == "conflict") {
      sshd.conflicts.push_back(rest);
    } else if (kind == "effective") {
      auto [name, value] = split_first(rest);
      if (name.empty()) return data_loss("unexpected ssh probe line '" + line + "'");
      auto& values = sshd.effective[name];
      // AllowUsers and AllowGroups print one value per line, or several.
      for (auto& word : words_of(value))
        values.push_back(word);
    } else if (kind == "effective-error") {
      sshd.effective_error = rest.empty() ? "sshd -T failed" : rest;
    } else if (!line.empty()) {
      return data_loss("unexpected ssh probe line '" + line + "'");
    }
  }
  return ok();
}

std::string sshd_dropin_text(const state::SshHardening& ssh) {
  return render_dropin(managed_keywords(ssh));
}

std::string sshd_conflicts_function(const state::SshHardening& ssh) {
  return conflicts_function(conflict_keywords(managed_keywords(ssh)));
}

void diff_ssh(const DiffContext& context, std::vector<Change>& changes) {
  if (!context.host.security.ssh) return;
  const SshdFacts& sshd = context.facts.sshd;
  if (!sshd.present) {
    context.refuse(
        "security.ssh is set but the host has no /usr/sbin/sshd or /etc/ssh/sshd_config");
    return;
  }
  if (sshd.socket_activated && !context.host.security.ssh->ports.empty()) {
    context.refuse(
        "sshd is socket-activated here (ssh.socket): its port is the socket's, which "
        "security.ssh.port does not manage; drop security.ssh.port or move the port in "
        "ssh.socket and disable the socket");
    return;
  }
  std::vector<Keyword> keywords = managed_keywords(*context.host.security.ssh);
  std::string dropin = render_dropin(keywords);
  Change change;
  std::vector<std::string> reasons;
  bool effective_known = !sshd.effective_error.has_value();
  for (const auto& keyword : keywords) {
    std::vector<std::string> have;
    auto found = sshd.effective.find(keyword.name);
    if (found != sshd.effective.end()) have = found->second;
    std::vector<std::string> want = keyword.want;
    if (keyword.adds_up) {
      std::sort(have.begin(), have.end());
      have.erase(std::unique(have.begin(), have.end()), have.end());
      std::sort(want.begin(), want.end());
    }
    if (!effective_known || have != want) {
      change.fields.push_back(
          field(keyword.spelling, effective_known ? show(have) : "(unknown)", show(want)));
      if (effective_known) {
        reasons.push_back("sshd -T reports " + keyword.name + " " + show(have) + ", want " +
                          show(want));
      }
    }
  }
  if (sshd.effective_error) reasons.push_back("sshd -T fails: " + *sshd.effective_error);
  if (sshd.dropin_digest != sha256_hex(dropin)) {
    reasons.push_back(std::string(kDropIn) + (sshd.dropin_digest ? " differs" : " is missing"));
    change.fields.push_back(field(kDropIn, sshd.dropin_digest ? "differs" : "", "managed"));
  }
  if (!sshd.include) {
    reasons.push_back("sshd_config does not include /etc/ssh/sshd_config.d/*.conf");
    change.fields.push_back(field("Include sshd_config.d", "missing", "first line"));
  }
  for (const auto& conflict : sshd.conflicts) {
    reasons.push_back("overridden by " + conflict);
    change.fields.push_back(field("directive", conflict, "commented out"));
  }
  if (reasons.empty()) return;
  std::vector<int> ports = sshd_ports(context.host);
  auto port_keyword = std::find_if(keywords.begin(), keywords.end(),
                                   [](const Keyword& k) { return k.name == "port"; });
  if (port_keyword != keywords.end() && effective_known) {
    auto found = sshd.effective.find("port");
    std::vector<std::string> have;
    if (found != sshd.effective.end()) have = found->second;
    std::vector<std::string> want = port_keyword->want;
    std::sort(have.begin(), have.end());
    have.erase(std::unique(have.begin(), have.end()), have.end());
    std::sort(want.begin(), want.end());
    if (have != want) {
      reasons.push_back("the controller connects on port " + std::to_string(ports.front()) +
                        " from now on");
    }
  }
  change.module = "ssh";
  change.resource = "sshd settings";
  change.key = "ssh";
  change.phase = Phase::kSecurity;
  change.action = sshd.dropin_digest ? Action::kUpdate : Action::kCreate;
  change.guarded = true;
  change.reason = join(reasons, "; ");
  change.script = apply_script(keywords);
  change.input = dropin;
  changes.push_back(std::move(change));
}

}  // namespace reconcile::modules
