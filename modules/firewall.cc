// firewall (nftables): security.firewall rendered as one complete ruleset in
// a table of its own, `table inet reconcile`, so rules that other software
// owns (other tables) are never touched.
//
// The rendered file replaces the table as a whole in one nft transaction:
// `table inet reconcile {}` (create it if missing), `delete table inet
// reconcile`, then the table with its rules. nft 1.0.6 (Debian 12) has no
// `destroy`, and this idiom is atomic: the kernel sees the old table or the
// new one. The same file is checked with `nft -c -f` first, loaded with
// `nft -f`, and persisted as /etc/nftables.d/reconcile.nft, included from
// /etc/nftables.conf, so a reload of nftables.service replaces the table the
// same way.
//
// Drift: nft lists rules in a canonical form that differs from what we
// render, so the rendering cannot be compared with the live table. Instead
// the apply records, in /var/lib/reconcile/firewall.state, the digest of the
// rendered file and the digest of the live table's JSON right after loading
// it. A later probe compares: the rendering changed (the desired state
// moved), or the live table changed (someone edited it by hand). The live
// digest leaves out object handles, which differ when the same file is
// loaded again (at boot), so a reboot is not drift.

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

const char* kPersistedFile = "/etc/nftables.d/reconcile.nft";
const char* kMainConfig = "/etc/nftables.conf";
const char* kStateFile = "/var/lib/reconcile/firewall.state";
const char* kIncludeLine = "include \"/etc/nftables.d/reconcile.nft\"";

// Shell code shared by the probe and the apply script, so both compute the
// live digest the same way: the JSON on stdin without `"handle": N`.
const char* kDigestFunction =
    "firewall_live_digest() {\n"
    "  sed 's/\"handle\": [0-9]*//g' | sha256sum | cut -d' ' -f1\n"
    "}\n";

// For the probe: sets $json to the table's JSON, or fails with nft's
// message in $json.
const char* kListCommand = "json=$(nft -j list table inet reconcile 2>&1)";

// An extended regular expression for the include line (any indentation).
const char* kIncludePattern =
    "^[[:space:]]*include[[:space:]]+\"/etc/nftables\\.d/reconcile\\.nft\"";

// One rendered rule: its nft text and the comment saying what it is for.
struct Rule {
  std::string text;
  std::string comment;
};

// What the desired state accepts, summed up like the live table is (for
// the plan's before/after fields).
struct Summary {
  std::set<int> tcp;
  std::set<int> udp;
  size_t source_rules = 0;
};

std::string port_set(const std::set<int>& ports) {
  std::vector<std::string> words;
  for (int port : ports)
    words.push_back(std::to_string(port));
  if (words.size() == 1) return words[0];
  return "{ " + join(words, ", ") + " }";
}

std::string ports_text(const std::set<int>& ports) {
  if (ports.empty()) return "(none)";
  std::vector<std::string> words;
  for (int port : ports)
    words.push_back(std::to_string(port));
  return join(words, ", ");
}

std::string address_set(const std::set<std::string>& addresses) {
  std::vector<std::string> words(addresses.begin(), addresses.end());
  if (words.size() == 1) return words[0];
  return "{ " + join(words, ", ") + " }";
}

// The per-source rules of security.firewall.allow, in declared order. A rule
// with sources in both families becomes two nft rules (ip saddr, ip6 saddr):
// a set holds one address family only.
void add_allow_rules(const state::Firewall& firewall, std::vector<Rule>& rules, Summary& summary) {
  for (const auto& allow : firewall.allow) {
    std::string match = allow.protocol + " dport " + std::to_string(allow.port);
    std::string what = "allow " + std::to_string(allow.port) + "/" + allow.protocol;
    if (allow.from.empty()) {
      rules.push_back({match + " accept", what + " from anywhere"});
      (allow.protocol == "udp" ? summary.udp : summary.tcp).insert(allow.port);
      continue;
    }
    std::set<std::string> ipv4;
    std::set<std::string> ipv6;
    for (const auto& source : allow.from)
      (source.find(':') == std::string::npos ? ipv4 : ipv6).insert(source);
    if (!ipv4.empty()) {
      rules.push_back(
          {"ip saddr " + address_set(ipv4) + " " + match + " accept", what + " from IPv4 sources"});
      ++summary.source_rules;
    }
    if (!ipv6.empty()) {
      rules.push_back({"ip6 saddr " + address_set(ipv6) + " " + match + " accept",
                       what + " from IPv6 sources"});
      ++summary.source_rules;
    }
  }
}

std::vector<Rule> desired_rules(const state::Host& host, Summary& summary) {
  const state::Firewall& firewall = *host.security.firewall;
  std::vector<Rule> rules = {
      {"ct state established,related accept", "replies to accepted connections"},
      {"ct state invalid drop", "packets conntrack cannot place"},
      {"iifname \"lo\" accept", "loopback"},
  };
  if (firewall.allow_icmp) {
    rules.push_back({"ip protocol icmp accept", "ICMP (allow_icmp)"});
    rules.push_back({"meta l4proto ipv6-icmp accept", "ICMPv6 (allow_icmp)"});
  } else {
    // Without neighbour discovery IPv6 stops working on the link altogether.
    rules.push_back(
        {"icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, "
         "nd-neighbor-advert } accept",
         "IPv6 neighbour discovery (needed without allow_icmp too)"});
  }
  if (firewall.keep_ssh_open) {
    std::vector<int> ports = sshd_ports(host);
    std::set<int> ssh(ports.begin(), ports.end());
    rules.push_back({"tcp dport " + port_set(ssh) + " accept", "SSH (keep_ssh_open)"});
    summary.tcp.insert(ssh.begin(), ssh.end());
  }
  std::set<int> tcp(firewall.allow_tcp.begin(), firewall.allow_tcp.end());
  if (!tcp.empty()) {
    rules.push_back({"tcp dport " + port_set(tcp) + " accept", "allow_tcp"});
    summary.tcp.insert(tcp.begin(), tcp.end());
  }
  std::set<int> udp(firewall.allow_udp.begin(), firewall.allow_udp.end());
  if (!udp.empty()) {
    rules.push_back({"udp dport " + port_set(udp) + " accept", "allow_udp"});
    summary.udp.insert(udp.begin(), udp.end());
  }
  add_allow_rules(firewall, rules, summary);
  return rules;
}

std::string render(const state::Host& host, Summary& summary, size_t& rule_count) {
  const state::Firewall& firewall = *host.security.firewall;
  std::vector<Rule> rules = desired_rules(host, summary);
  rule_count = rules.size();
  std::string text =
      "#!/usr/sbin/nft -f\n"
      "# Managed by reconcile (security.firewall); local changes are reverted.\n"
      "# Replaces table inet reconcile as a whole, in one transaction, and\n"
      "# touches no other table.\n"
      "table inet reconcile {}\n"
      "delete table inet reconcile\n"
      "table inet reconcile {\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy " +
      firewall.policy + ";\n";
  for (const auto& rule : rules)
    text += "\t\t" + rule.text + " comment \"" + rule.comment + "\"\n";
  text += "\t}\n}\n";
  return text;
}

// Fills the live summary from `nft -j list table inet reconcile`. Throws
// nlohmann::json::exception on items of unexpected types.
Status summarise_table(const std::string& text, FirewallFacts& firewall) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("nftables") ||
      !json["nftables"].is_array()) {
    return data_loss("firewall: nft -j output is not an nftables JSON document");
  }
  for (const auto& object : json["nftables"]) {
    if (!object.is_object()) return data_loss("firewall: unexpected nft -j item");
    if (object.contains("chain") && object["chain"].is_object()) {
      const auto& chain = object["chain"];
      if (chain.value("name", "") == "input") firewall.live_policy = chain.value("policy", "");
    }
    if (!object.contains("rule")) continue;
    ++firewall.rule_count;
    const auto& expressions = object["rule"].value("expr", nlohmann::json::array());
    if (!expressions.is_array()) return data_loss("firewall: a rule without an expression list");
    bool accepts = false;
    bool has_source = false;
    std::set<int>* ports = nullptr;
    std::vector<int> numbers;
    for (const auto& expression : expressions) {
      if (expression.contains("accept")) accepts = true;
      if (!expression.contains("match")) continue;
      const auto& match = expression["match"];
      const auto& payload =
          match.value("left", nlohmann::json::object()).value("payload", nlohmann::json::object());
      std::string field = payload.value("field", "");
      std::string protocol = payload.value("protocol", "");
      if (field == "saddr") has_source = true;
      if (field != "dport" || (protocol != "tcp" && protocol != "udp")) continue;
      ports = protocol == "tcp" ? &firewall.live_tcp : &firewall.live_udp;
      const auto& right = match.value("right", nlohmann::json());
      if (right.is_number_integer()) numbers.push_back(right.get<int>());
      if (right.is_object() && right.contains("set") && right["set"].is_array()) {
        for (const auto& item : right["set"])
          if (item.is_number_integer()) numbers.push_back(item.get<int>());
      }
    }
    if (has_source && accepts) ++firewall.live_source_rules;
    if (!has_source && accepts && ports != nullptr) ports->insert(numbers.begin(), numbers.end());
  }
  return ok();
}

Status parse_table_json(const std::string& text, FirewallFacts& firewall) {
  try {
    return summarise_table(text, firewall);
  } catch (const nlohmann::json::exception& error) {
    return data_loss(std::string("firewall: unexpected nft -j output: ") + error.what());
  }
}

std::string install_script(const HostFacts& facts) {
  if (facts.firewall.nft_installed) return {};
  if (facts.system.package_manager == "apt") {
    return "export DEBIAN_FRONTEND=noninteractive\n"
           "apt-get install -q -y --no-install-recommends nftables\n";
  }
  return "echo 'firewall: nft is not installed and this host has no apt; install the nftables "
         "package first' >&2\nexit 1\n";
}

std::string apply_script(const HostFacts& facts) {
  std::string script = kDigestFunction;
  script += "rules=$(mktemp)\n";
  script += "trap 'rm -f -- \"$rules\"' EXIT\n";
  script += "cat > \"$rules\"\n";
  script += install_script(facts);
  // A ruleset nft rejects never reaches the kernel or the disk.
  script +=
      "if ! output=$(nft -c -f \"$rules\" 2>&1); then\n"
      "  printf 'nft -c rejected the ruleset; nothing was changed:\\n%s\\n' \"$output\" >&2\n"
      "  exit 1\n"
      "fi\n"
      "nft -f \"$rules\"\n";
  script += "json=$(nft -j list table inet reconcile)\n";
  script += "live=$(printf '%s\\n' \"$json\" | firewall_live_digest)\n";
  script += "rendered=$(sha256sum < \"$rules\" | cut -d' ' -f1)\n";
  script += "(\n" + atomic_write_script(shell_quote(kPersistedFile), "root", "root", "644") +
            ") < \"$rules\"\n";
  script += std::string("if [ ! -e ") + kMainConfig + " ]; then\n" +
            "  printf '#!/usr/sbin/nft -f\\n%s\\n' " + shell_quote(kIncludeLine) + " | (\n" +
            atomic_write_script(shell_quote(kMainConfig), "root", "root", "755") + ")\n" +
            "elif ! grep -Eq " + shell_quote(kIncludePattern) + " " + kMainConfig + "; then\n" +
            "  printf '\\n# Added by reconcile: the firewall table it manages.\\n%s\\n' " +
            shell_quote(kIncludeLine) + " >> " + kMainConfig + "\n" + "fi\n";
  if (facts.system.init == "systemd") script += "systemctl enable --quiet nftables.service\n";
  // Last: a record that exists means everything above succeeded.
  script += "printf '%s %s\\n' \"$rendered\" \"$live\" | (\n" +
            atomic_write_script(shell_quote(kStateFile), "root", "root", "600") + ")\n";
  return script;
}

// Why the table must be loaded (again), or nothing when the live table is
// the one the last apply loaded from the current rendering.
std::vector<std::string> table_reasons(const FirewallFacts& live, const std::string& digest) {
  if (!live.nft_installed) return {"nft is not installed"};
  if (!live.table_exists) return {"table inet reconcile does not exist"};
  if (!live.recorded_rendered || !live.recorded_live) {
    return {"table inet reconcile exists but reconcile has no record of loading it (" +
            std::string(kStateFile) + ")"};
  }
  std::vector<std::string> reasons;
  if (*live.recorded_live != live.live_digest) {
    reasons.push_back(
        "the live table inet reconcile was changed outside reconcile (its rules differ from "
        "those loaded at the last apply)");
  }
  if (*live.recorded_rendered != digest)
    reasons.push_back("the desired ruleset changed since the last apply");
  return reasons;
}

// Before/after of what the table accepts: from the live JSON where the
// table exists (only what differs, and the rule count), else all of it.
void table_fields(const FirewallFacts& live, const state::Firewall& firewall, const Summary& want,
                  size_t want_rules, Change& change) {
  if (!live.nft_installed) change.fields.push_back(field("package nftables", "", "installed"));
  if (!live.table_exists) {
    change.fields.push_back(field("table", "", "inet reconcile"));
    change.fields.push_back(field("policy", "", firewall.policy));
    change.fields.push_back(field("tcp", "", ports_text(want.tcp)));
    change.fields.push_back(field("udp", "", ports_text(want.udp)));
    change.fields.push_back(field("from-rules", "", std::to_string(want.source_rules)));
    change.fields.push_back(field("rules", "", std::to_string(want_rules)));
    return;
  }
  if (live.live_policy != firewall.policy)
    change.fields.push_back(field("policy", live.live_policy, firewall.policy));
  if (live.live_tcp != want.tcp)
    change.fields.push_back(field("tcp", ports_text(live.live_tcp), ports_text(want.tcp)));
  if (live.live_udp != want.udp)
    change.fields.push_back(field("udp", ports_text(live.live_udp), ports_text(want.udp)));
  if (live.live_source_rules != want.source_rules) {
    change.fields.push_back(field("from-rules", std::to_string(live.live_source_rules),
                                  std::to_string(want.source_rules)));
  }
  std::string before = std::to_string(live.rule_count);
  if (live.rule_count == want_rules) before += " (differ)";
  change.fields.push_back(field("rules", before, std::to_string(want_rules)));
}

// The persisted file, the include and (systemd) the service.
void persistence(const HostFacts& facts, const std::string& digest, Change& change,
                 std::vector<std::string>& reasons) {
  const FirewallFacts& live = facts.firewall;
  if (live.persisted_digest != digest) {
    reasons.push_back(std::string(kPersistedFile) +
                      (live.persisted_digest ? " differs" : " is missing"));
    change.fields.push_back(
        field(kPersistedFile, live.persisted_digest ? "differs" : "", "managed"));
  }
  if (!live.included) {
    reasons.push_back(std::string(kMainConfig) + " does not include " + kPersistedFile);
    change.fields.push_back(field(std::string(kMainConfig) + " include", "no", "yes"));
  }
  bool enabled = live.service_state == "enabled" || live.service_state == "enabled-runtime";
  if (facts.system.init == "systemd" && !enabled) {
    std::string state = live.service_state.empty() ? "unknown" : live.service_state;
    reasons.push_back("nftables.service is " + state + ", want enabled");
    change.fields.push_back(field("nftables.service", state, "enabled"));
  }
}

}  // namespace

std::string firewall_ruleset(const state::Host& host) {
  Summary summary;
  size_t rule_count = 0;
  return render(host, summary, rule_count);
}

std::vector<ProbeFragment> probe_firewall(const state::Host& host) {
  if (!host.security.firewall) return {};
  std::string script = kDigestFunction;
  script += "if command -v nft >/dev/null 2>&1; then\n";
  script += "  echo 'nft installed'\n";
  script += "  if " + std::string(kListCommand) + "; then\n";
  script += "    printf 'json %s\\n' \"$(printf '%s\\n' \"$json\" | tr '\\n' ' ')\"\n";
  script += "    printf 'live %s\\n' \"$(printf '%s\\n' \"$json\" | firewall_live_digest)\"\n";
  script += "  else\n";
  script += "    case $json in\n";
  script += "      *'No such file or directory'*) echo 'table absent' ;;\n";
  script += "      *) printf 'error %s\\n' \"$(printf '%s' \"$json\" | tr '\\n' ' ')\" ;;\n";
  script += "    esac\n";
  script += "  fi\n";
  script += "else\n";
  script += "  echo 'nft missing'\n";
  script += "fi\n";
  script += std::string("if [ -r ") + kStateFile + " ]; then printf 'state %s\\n' \"$(head -n 1 " +
            kStateFile + ")\"; fi\n";
  script += file_digest_probe(kPersistedFile, "file");
  script += std::string("if [ -f ") + kMainConfig + " ] && grep -Eq " +
            shell_quote(kIncludePattern) + " " + kMainConfig +
            "; then echo 'include yes'; else echo 'include no'; fi\n";
  script +=
      "if command -v systemctl >/dev/null 2>&1; then\n"
      "  printf 'service %s\\n' \"$(systemctl is-enabled nftables.service 2>/dev/null || true)\"\n"
      "fi\n";
  return {{"firewall", script}};
}

Status parse_firewall(const Sections& sections, const state::Host& host, HostFacts& facts) {
  if (!host.security.firewall) return ok();
  auto it = sections.find("firewall");
  if (it == sections.end()) return ok();
  FirewallFacts& firewall = facts.firewall;
  firewall.probed = true;
  for (const auto& line : lines_of(it->second.text)) {
    auto [kind, rest] = split_first(line);
    if (kind == "nft") {
      firewall.nft_installed = rest == "installed";
    } else if (kind == "json") {
      firewall.table_exists = true;
      TRY(parse_table_json(rest, firewall));
    } else if (kind == "live") {
      firewall.live_digest = rest;
    } else if (kind == "table" && rest == "absent") {
      firewall.table_exists = false;
    } else if (kind == "error") {
      return data_loss("firewall: nft list table inet reconcile failed: " + rest);
    } else if (kind == "state") {
      auto words = words_of(rest);
      if (words.size() == 2) {
        firewall.recorded_rendered = words[0];
        firewall.recorded_live = words[1];
      }
    } else if (kind == "file") {
      firewall.persisted_digest = rest;
    } else if (kind == "include") {
      firewall.included = rest == "yes";
    } else if (kind == "service") {
      firewall.service_state = rest;
    } else {
      return data_loss("unexpected firewall probe line '" + line + "'");
    }
  }
  if (firewall.table_exists && firewall.live_digest.empty())
    return data_loss("firewall: the probe listed the table but gave no digest");
  return ok();
}

void diff_firewall(const DiffContext& context, std::vector<Change>& changes) {
  if (!context.host.security.firewall) return;
  Summary want;
  size_t want_rules = 0;
  std::string rendered = render(context.host, want, want_rules);
  std::string digest = sha256_hex(rendered);
  Change change;
  std::vector<std::string> reasons = table_reasons(context.facts.firewall, digest);
  if (!reasons.empty()) {
    table_fields(context.facts.firewall, *context.host.security.firewall, want, want_rules, change);
  }
  persistence(context.facts, digest, change, reasons);
  if (reasons.empty()) return;
  change.module = "firewall";
  change.resource = "firewall (table inet reconcile)";
  change.key = "firewall";
  change.phase = Phase::kSecurity;
  change.action = context.facts.firewall.table_exists ? Action::kUpdate : Action::kCreate;
  change.guarded = true;
  change.reason = join(reasons, "; ");
  change.script = apply_script(context.facts);
  change.input = rendered;
  changes.push_back(std::move(change));
}

}  // namespace reconcile::modules
