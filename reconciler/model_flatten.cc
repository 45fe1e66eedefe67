// Flattening the typed model into "section.name.field" keys. Every field of
// state::Host that a module acts on has a key here; a new field in the model
// needs a line here too, or `reconcile diff` will not see it change.

#include <cstdio>

#include "modules/text.h"
#include "reconciler/base/strings.h"
#include "reconciler/model_diff.h"

namespace reconcile {

namespace {

class Flattener {
 public:
  explicit Flattener(FlatModel& out) : m_out(out) {}

  void plain(const std::string& key, const std::string& value) {
    m_out[key] = {value, ValueKind::kPlain};
  }
  void maybe(const std::string& key, const std::optional<std::string>& value) {
    if (value) plain(key, *value);
  }
  void flag(const std::string& key, bool value) { plain(key, value ? "true" : "false"); }
  void flag(const std::string& key, const std::optional<bool>& value) {
    if (value) flag(key, *value);
  }
  void number(const std::string& key, const std::optional<uint32_t>& value) {
    if (value) plain(key, std::to_string(*value));
  }
  void list(const std::string& key, const std::vector<std::string>& values) {
    if (!values.empty()) plain(key, join(values, ", "));
  }
  void list(const std::string& key, const std::optional<std::vector<std::string>>& values) {
    if (values) plain(key, values->empty() ? "(none)" : join(*values, ", "));
  }
  void ports(const std::string& key, const std::vector<int>& values) {
    std::vector<std::string> texts;
    for (int value : values)
      texts.push_back(std::to_string(value));
    list(key, texts);
  }
  void content(const std::string& key, const std::string& bytes) {
    size_t lines = 0;
    for (char c : bytes)
      lines += c == '\n' ? 1 : 0;
    if (!bytes.empty() && bytes.back() != '\n') ++lines;
    m_out[key] = {"sha256 " + modules::sha256_hex(bytes).substr(0, 12) + ", " +
                      std::to_string(lines) + " line" + (lines == 1 ? "" : "s"),
                  ValueKind::kContent};
  }
  void sensitive(const std::string& key, const std::optional<std::string>& value) {
    if (value) m_out[key] = {modules::sha256_hex(*value), ValueKind::kSensitive};
  }
  void ciphertext(const std::string& key, const Result<std::string>& bytes) {
    m_out[key] = {bytes ? modules::sha256_hex(*bytes) : "(unreadable)", ValueKind::kCiphertext};
  }

 private:
  FlatModel& m_out;
};

std::string mode_octal(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode);
  return text;
}

std::string presence(state::Presence state) {
  return state == state::Presence::kPresent ? "present" : "absent";
}

// "ssh-ed25519 …Kce+L alice@example": enough to tell keys apart in a list.
std::string short_key(const std::string& line) {
  auto words = split(line, ' ');
  if (words.size() < 2 || words[1].size() <= 12) return line;
  std::string out = words[0] + " …" + words[1].substr(words[1].size() - 8);
  for (size_t i = 2; i < words.size(); ++i)
    out += " " + words[i];
  return out;
}

void flatten_accounts(const state::Host& host, Flattener& f) {
  for (const auto& group : host.groups) {
    std::string base = "groups." + group.name + ".";
    f.plain(base + "state", presence(group.state));
    f.number(base + "gid", group.gid);
    if (group.system) f.flag(base + "system", true);
  }
  for (const auto& user : host.users) {
    std::string base = "users." + user.name + ".";
    f.plain(base + "state", presence(user.state));
    f.number(base + "uid", user.uid);
    f.maybe(base + "group", user.group);
    f.list(base + "groups", user.groups);
    f.maybe(base + "shell", user.shell);
    f.maybe(base + "home", user.home);
    f.maybe(base + "comment", user.comment);
    if (user.system) f.flag(base + "system", true);
    f.sensitive(base + "password_hash", user.password_hash);
    f.maybe(base + "password_hash_secret", user.password_hash_secret);
    if (user.authorized_keys) {
      if (user.authorized_keys->empty()) f.plain(base + "authorized_keys", "(none)");
      for (const auto& key : *user.authorized_keys)
        f.plain(base + "authorized_keys[" + short_key(key) + "]", "present");
    }
  }
}

void flatten_files(const state::Host& host, Flattener& f) {
  for (const auto& package : host.packages)
    f.plain("packages." + package.name, presence(package.state));
  for (const auto& file : host.files) {
    std::string base = "files." + file.path + ".";
    f.plain(base + "state", presence(file.state));
    f.plain(base + "type", file.type == state::FileType::kFile ? "file" : "directory");
    f.maybe(base + "owner", file.owner);
    f.maybe(base + "group", file.group);
    if (file.mode) f.plain(base + "mode", mode_octal(*file.mode));
    f.maybe(base + "source", file.source);
    if (file.content) f.content(base + "content", *file.content);
    f.list(base + "restart", file.restart);
  }
  for (const auto& service : host.services) {
    std::string base = "services." + service.name + ".";
    f.flag(base + "enabled", service.enabled);
    f.flag(base + "running", service.running);
    if (service.unit) f.content(base + "unit", *service.unit);
  }
  for (const auto& [key, value] : host.sysctl)
    f.plain("sysctl." + key, value);
}

void flatten_security(const state::Security& security, Flattener& f) {
  if (security.ssh) {
    const state::SshHardening& ssh = *security.ssh;
    f.ports("security.ssh.ports", ssh.ports);
    f.flag("security.ssh.password_auth", ssh.password_auth);
    f.maybe("security.ssh.permit_root_login", ssh.permit_root_login);
    f.list("security.ssh.allow_users", ssh.allow_users);
    f.list("security.ssh.allow_groups", ssh.allow_groups);
    f.flag("security.ssh.kbd_interactive", ssh.kbd_interactive);
    f.list("security.ssh.ciphers", ssh.ciphers);
    f.list("security.ssh.kex", ssh.kex);
    f.list("security.ssh.macs", ssh.macs);
  }
  if (security.firewall) {
    const state::Firewall& firewall = *security.firewall;
    f.plain("security.firewall.policy", firewall.policy);
    f.ports("security.firewall.allow_tcp", firewall.allow_tcp);
    f.ports("security.firewall.allow_udp", firewall.allow_udp);
    f.flag("security.firewall.allow_icmp", firewall.allow_icmp);
    f.flag("security.firewall.keep_ssh_open", firewall.keep_ssh_open);
    for (const auto& rule : firewall.allow) {
      f.plain("security.firewall.allow[" + rule.protocol + "/" + std::to_string(rule.port) + "]",
              rule.from.empty() ? "anywhere" : "from " + join(rule.from, ", "));
    }
  }
  if (security.fail2ban) {
    for (const auto& jail : *security.fail2ban) {
      std::string base = "security.fail2ban." + jail.name + ".";
      f.flag(base + "enabled", jail.enabled);
      if (jail.maxretry) f.plain(base + "maxretry", std::to_string(*jail.maxretry));
      f.maybe(base + "findtime", jail.findtime);
      f.maybe(base + "bantime", jail.bantime);
      f.flag(base + "bantime_increment", jail.bantime_increment);
    }
  }
  if (security.auto_updates) {
    f.plain("security.auto_updates.schedule", security.auto_updates->schedule);
    f.flag("security.auto_updates.reboot", security.auto_updates->reboot);
    f.maybe("security.auto_updates.reboot_time", security.auto_updates->reboot_time);
  }
  if (security.ssh || security.firewall) {
    f.plain("security.lockout_timeout_seconds", std::to_string(security.lockout_timeout_seconds));
  }
}

void flatten_secrets(const state::Host& host, const state::RepoSource& source, Flattener& f) {
  for (const auto& secret : host.secrets) {
    std::string base = "secrets." + secret.name + ".";
    f.plain(base + "source", secret.source);
    f.plain(base + "owner", secret.owner);
    f.plain(base + "group", secret.group);
    f.plain(base + "mode", mode_octal(secret.mode));
    if (secret.needed_for_users) f.flag(base + "needed_for_users", true);
    f.list(base + "restart", secret.restart);
    f.ciphertext(base + "ciphertext", source.read(secret.source));
  }
}

}  // namespace

// One health check as it reads in the host file.
std::string health_text(const state::HealthCheck& check) {
  std::string what;
  if (check.kind == state::HealthKind::kCommand) {
    what = "command " + check.command;
  } else if (check.kind == state::HealthKind::kHttp) {
    what = "http " + check.url + (check.expect ? " expect " + std::to_string(*check.expect) : "");
  } else {
    what = "tcp " + check.target + ":" + std::to_string(check.port);
  }
  return what + " (timeout " + std::to_string(check.timeout_seconds) + "s, retries " +
         std::to_string(check.retries) + ", interval " + std::to_string(check.interval_seconds) +
         "s)";
}

std::string count_text(const state::HostCount& count) {
  return std::to_string(count.value) + (count.percent ? "%" : "");
}

FlatModel flatten_host(const state::Host& host, const state::RepoSource& source) {
  FlatModel out;
  Flattener f(out);
  f.plain("address", host.address);
  f.maybe("ssh.user", host.ssh.user);
  if (host.ssh.port) f.plain("ssh.port", std::to_string(*host.ssh.port));
  f.maybe("ssh.host_key", host.ssh.host_key);
  if (host.disk) {
    f.plain("disk.layout", host.disk->layout);
    f.list("disk.devices", host.disk->devices);
    f.plain("disk.mount_root", host.disk->mount_root);
    auto layout = source.read("disk-layouts/" + host.disk->layout + ".yaml");
    if (layout) f.content("disk.layout_file", *layout);
  }
  flatten_accounts(host, f);
  flatten_files(host, f);
  flatten_security(host.security, f);
  flatten_secrets(host, source, f);
  for (const auto& [name, value] : host.vars)
    f.plain("vars." + name, value);
  f.maybe("age_recipient", host.age_recipient);
  for (size_t i = 0; i < host.health.size(); ++i)
    f.plain("health." + std::to_string(i + 1), health_text(host.health[i]));
  return out;
}

FlatModel flatten_settings(const state::RepoSettings& settings) {
  FlatModel out;
  Flattener f(out);
  for (const auto& [name, recipient] : settings.secrets.recipients)
    f.plain("secrets.recipients." + name, short_key(recipient));
  f.maybe("secrets.controller", settings.secrets.controller);
  for (const auto& [secret, readers] : settings.secrets.access)
    f.list("secrets.access." + secret, readers);
  const state::RolloutPolicy& rollout = settings.rollout;
  std::vector<std::string> canaries;
  for (const auto& canary : rollout.canary)
    canaries.push_back(canary.role.empty() ? canary.host : "role:" + canary.role);
  f.list("rollout.canary", canaries);
  if (rollout.batch) f.plain("rollout.batch", count_text(*rollout.batch));
  if (rollout.max_failures.value != 0) {
    f.plain("rollout.max_failures", count_text(rollout.max_failures));
  }
  if (rollout.pause_seconds != 0) {
    f.plain("rollout.pause", std::to_string(rollout.pause_seconds) + "s");
  }
  return out;
}

}  // namespace reconcile
