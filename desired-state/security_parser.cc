// security: section (ssh, firewall, fail2ban, auto_updates, lockout_timeout).

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"

namespace reconcile::state {

namespace {

// sshd_config tokens: algorithm names and user/group patterns.
std::string check_token(std::string_view token) {
  bool ok = !token.empty() && token.size() <= 200 && token[0] != '-' &&
            std::all_of(token.begin(), token.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '@' || c == '.' ||
                     c == '-' || c == '_' || c == '*' || c == '?' || c == '!' || c == ':';
            });
  if (!ok) return "a single word (letters, digits and @._-*?!:)";
  return {};
}

std::string check_jail_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!ok) return "a jail name of letters, digits, '-' and '_'";
  return {};
}

std::string check_fail2ban_time(std::string_view text) {
  if (text == "-1" || parse_duration_seconds(text)) return {};
  return "a duration such as 600, 10m, 1h or 1d (or -1 for bantime forever)";
}

std::string check_clock_time(std::string_view text) {
  bool ok = text.size() == 5 && text[2] == ':' &&
            std::isdigit(static_cast<unsigned char>(text[0])) &&
            std::isdigit(static_cast<unsigned char>(text[1])) &&
            std::isdigit(static_cast<unsigned char>(text[3])) &&
            std::isdigit(static_cast<unsigned char>(text[4])) &&
            std::stoi(std::string(text.substr(0, 2))) < 24 &&
            std::stoi(std::string(text.substr(3, 2))) < 60;
  if (!ok) return "a time of day as HH:MM";
  return {};
}

std::vector<int> read_ports(const YamlNode& node, const std::string& what, ParseContext& ctx,
                            bool allow_single) {
  std::vector<int> ports;
  if (allow_single && node.is_scalar()) {
    if (auto port = read_integer(node, what, 1, 65535, ctx.diagnostics)) ports.push_back(*port);
    return ports;
  }
  if (!node.is_sequence()) {
    ctx.diagnostics.error(
        node.location(), what + ": expected a list of ports, got " + std::string(node.kind_name()));
    return ports;
  }
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto port = read_integer(node.items()[i], what + "[" + std::to_string(i) + "]", 1, 65535,
                             ctx.diagnostics);
    if (port) ports.push_back(static_cast<int>(*port));
  }
  return ports;
}

SshHardening parse_ssh(const YamlNode& node, ParseContext& ctx) {
  FieldReader reader(node, "security.ssh", ctx.diagnostics);
  SshHardening ssh;
  if (const YamlNode* port = reader.get("port")) {
    ssh.ports = read_ports(*port, "security.ssh.port", ctx, true);
  }
  ssh.password_auth = reader.boolean("password_auth");
  ssh.permit_root_login = reader.choice("permit_root_login", {"no", "prohibit-password", "yes"});
  ssh.allow_users =
      reader.checked_list("allow_users", check_token).value_or(std::vector<std::string>{});
  ssh.allow_groups =
      reader.checked_list("allow_groups", check_token).value_or(std::vector<std::string>{});
  ssh.kbd_interactive = reader.boolean("kbd_interactive");
  ssh.ciphers = reader.checked_list("ciphers", check_token).value_or(std::vector<std::string>{});
  ssh.kex = reader.checked_list("kex", check_token).value_or(std::vector<std::string>{});
  ssh.macs = reader.checked_list("macs", check_token).value_or(std::vector<std::string>{});
  reader.finish();
  return ssh;
}

Firewall parse_firewall(const YamlNode& node, ParseContext& ctx) {
  FieldReader reader(node, "security.firewall", ctx.diagnostics);
  Firewall firewall;
  firewall.policy = reader.choice("policy", {"drop", "accept"}).value_or("drop");
  if (const YamlNode* tcp = reader.get("allow_tcp")) {
    firewall.allow_tcp = read_ports(*tcp, "security.firewall.allow_tcp", ctx, false);
  }
  if (const YamlNode* udp = reader.get("allow_udp")) {
    firewall.allow_udp = read_ports(*udp, "security.firewall.allow_udp", ctx, false);
  }
  firewall.allow_icmp = reader.boolean("allow_icmp").value_or(true);
  firewall.keep_ssh_open = reader.boolean("keep_ssh_open").value_or(true);
  if (const YamlNode* rules = reader.get("allow")) {
    if (!rules->is_sequence()) {
      reader.error(*rules, "allow", "expected a list of {port, proto, from} rules");
    } else {
      for (size_t i = 0; i < rules->items().size(); ++i) {
        FieldReader rule_reader(rules->items()[i],
                                "security.firewall.allow[" + std::to_string(i) + "]",
                                ctx.diagnostics);
        FirewallRule rule;
        const YamlNode* port = rule_reader.get("port");
        if (port == nullptr) {
          ctx.diagnostics.error(rules->items()[i].location(),
                                rule_reader.path() + ": a rule needs a port");
        } else if (auto value = read_integer(*port, rule_reader.field_path("port"), 1, 65535,
                                             ctx.diagnostics)) {
          rule.port = static_cast<int>(*value);
        }
        rule.protocol = rule_reader.choice("proto", {"tcp", "udp"}).value_or("tcp");
        rule.from =
            rule_reader.checked_list("from", check_network).value_or(std::vector<std::string>{});
        rule_reader.finish();
        if (rule.port != 0) firewall.allow.push_back(std::move(rule));
      }
    }
  }
  reader.finish();
  return firewall;
}

std::vector<Fail2banJail> parse_fail2ban(const YamlNode& node, ParseContext& ctx) {
  std::vector<Fail2banJail> jails;
  for_each_entry(node, "security.fail2ban", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_jail_name(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(
          key.location(), "security.fail2ban: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    FieldReader reader(value, "security.fail2ban." + key.text(), ctx.diagnostics);
    Fail2banJail jail;
    jail.name = key.text();
    jail.enabled = reader.boolean("enabled").value_or(true);
    if (auto maxretry = reader.integer("maxretry", 1, 1000))
      jail.maxretry = static_cast<int>(*maxretry);
    jail.findtime = reader.checked("findtime", check_fail2ban_time);
    jail.bantime = reader.checked("bantime", check_fail2ban_time);
    jail.bantime_increment = reader.boolean("bantime_increment");
    reader.finish();
    jails.push_back(std::move(jail));
  });
  return jails;
}

AutoUpdates parse_auto_updates(const YamlNode& node, ParseContext& ctx) {
  AutoUpdates updates;
  const std::vector<std::string> schedules = {"daily", "weekly", "off"};
  if (node.is_scalar()) {
    if (std::find(schedules.begin(), schedules.end(), node.text()) == schedules.end()) {
      ctx.diagnostics.error(node.location(),
                            "security.auto_updates: expected daily, weekly or "
                            "off, got '" +
                                node.text() + "'");
    } else {
      updates.schedule = node.text();
    }
    return updates;
  }
  FieldReader reader(node, "security.auto_updates", ctx.diagnostics);
  updates.schedule = reader.choice("schedule", schedules).value_or("daily");
  updates.reboot = reader.boolean("reboot").value_or(false);
  updates.reboot_time = reader.checked("reboot_time", check_clock_time);
  reader.finish();
  return updates;
}

}  // namespace

void parse_security(const YamlNode& node, Host& host, ParseContext& ctx) {
  FieldReader reader(node, "security", ctx.diagnostics);
  if (const YamlNode* ssh = reader.get("ssh")) host.security.ssh = parse_ssh(*ssh, ctx);
  if (const YamlNode* firewall = reader.get("firewall")) {
    host.security.firewall = parse_firewall(*firewall, ctx);
  }
  if (const YamlNode* fail2ban = reader.get("fail2ban")) {
    host.security.fail2ban = parse_fail2ban(*fail2ban, ctx);
  }
  if (const YamlNode* updates = reader.get("auto_updates")) {
    host.security.auto_updates = parse_auto_updates(*updates, ctx);
  }
  if (const YamlNode* timeout = reader.get("lockout_timeout")) {
    auto text = read_string(*timeout, "security.lockout_timeout", ctx.diagnostics);
    auto seconds = text ? parse_duration_seconds(*text) : std::nullopt;
    if (text && (!seconds || *seconds < 10 || *seconds > 3600)) {
      reader.error(*timeout, "lockout_timeout",
                   "expected a duration from 10s to 1h such as 60s or 2m, got '" + *text + "'");
    } else if (seconds) {
      host.security.lockout_timeout_seconds = static_cast<int>(*seconds);
    }
  }
  reader.finish();
}

}  // namespace reconcile::state
