// users: accounts (create / update / remove) and their authorized_keys,
// managed as an exact set. Password hashes are compared by digest, or on the
// host against /run/secrets when they come from a secret, so no hash of a
// secret crosses the wire.

#include <algorithm>

#include "modules/module.h"
#include "modules/scripts.h"
#include "modules/text.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile::modules {

namespace {

const char* kProbeFunction = R"SH(probe_user() {
  u=$1
  if entry=$(getent passwd "$u"); then
    printf 'user %s passwd %s\n' "$u" "$entry"
    printf 'user %s primary %s\n' "$u" "$(id -gn "$u")"
    printf 'user %s groups %s\n' "$u" "$(id -Gn "$u")"
    home=$(printf '%s\n' "$entry" | cut -d: -f6)
    if [ -d "$home" ]; then printf 'user %s home_exists\n' "$u"; fi
    if [ -d "$home/.ssh" ]; then printf 'user %s sshdir %s\n' "$u" "$(stat -c '%U:%G %a' "$home/.ssh")"; fi
    if [ -f "$home/.ssh/authorized_keys" ]; then
      printf 'user %s keys %s %s\n' "$u" "$(sha256sum < "$home/.ssh/authorized_keys" | cut -d' ' -f1)" "$(stat -c '%U:%G %a' "$home/.ssh/authorized_keys")"
    fi
    if [ "$2" = digest ]; then
      printf 'user %s shadow %s\n' "$u" "$(getent shadow "$u" | cut -d: -f2 | tr -d '\n' | sha256sum | cut -d' ' -f1)"
    elif [ "$2" = secret ]; then
      if [ -r "/run/secrets/$3" ] && [ "$(getent shadow "$u" | cut -d: -f2)" = "$(tr -d '\n' < "/run/secrets/$3")" ]; then
        printf 'user %s pwsecret match\n' "$u"
      else
        printf 'user %s pwsecret differ\n' "$u"
      fi
    fi
  else
    printf 'user %s missing\n' "$u"
  fi
}
)SH";

std::string joined_groups(const std::vector<std::string>& groups) {
  return join(groups, ",");
}

// Supplementary groups wanted, without the primary group (id -Gn lists it).
std::set<std::string> wanted_groups(const state::User& user, const UserFacts* fact) {
  std::set<std::string> wanted(user.groups->begin(), user.groups->end());
  std::string primary = user.group ? *user.group : (fact ? fact->primary_group : user.name);
  wanted.erase(primary);
  return wanted;
}

std::string set_password_script(const state::User& user) {
  std::string name = shell_quote(user.name);
  if (user.password_hash) {
    return "printf '%s:%s\\n' " + name + " " + shell_quote(*user.password_hash) +
           " | chpasswd -e\n";
  }
  if (user.password_hash_secret) {
    // Never pipe a missing or empty secret into chpasswd: that would set an
    // empty password. The hash is read into a variable and checked first.
    std::string file = shell_quote("/run/secrets/" + *user.password_hash_secret);
    return "[ -r " + file + " ] || { echo \"password hash secret \"" + file +
           "\" is not delivered\" >&2; exit 1; }\n"
           "hash=$(tr -d '\\n' < " +
           file +
           ")\n"
           "case $hash in '$'*|'!'*|'*'*) ;; *) echo 'the password hash secret is not a crypt(3) "
           "hash' >&2; exit 1 ;; esac\n"
           "printf '%s:%s\\n' " +
           name + " \"$hash\" | chpasswd -e\n";
  }
  return {};
}

Change create_user(const state::User& user) {
  Change change;
  change.action = Action::kCreate;
  change.reason = "user does not exist";
  std::string options;
  if (user.uid) {
    options += " --uid " + std::to_string(*user.uid);
    change.fields.push_back(field("uid", "", std::to_string(*user.uid)));
  }
  if (user.group) {
    options += " --gid " + shell_quote(*user.group);
    change.fields.push_back(field("group", "", *user.group));
  }
  if (user.groups && !user.groups->empty()) {
    options += " --groups " + shell_quote(joined_groups(*user.groups));
    change.fields.push_back(field("groups", "", joined_groups(*user.groups)));
  }
  if (user.shell) {
    options += " --shell " + shell_quote(*user.shell);
    change.fields.push_back(field("shell", "", *user.shell));
  }
  if (user.home) {
    options += " --home-dir " + shell_quote(*user.home);
    change.fields.push_back(field("home", "", *user.home));
  }
  if (user.comment) {
    options += " --comment " + shell_quote(*user.comment);
    change.fields.push_back(field("comment", "", *user.comment));
  }
  if (user.system) options += " --system";
  options += (!user.system || user.home) ? " --create-home" : " --no-create-home";
  change.script = "useradd" + options + " -- " + shell_quote(user.name) + "\n";
  if (user.password_hash || user.password_hash_secret) {
    change.fields.push_back(FieldChange{"password", "(none)", "(sensitive)", true});
    change.script += set_password_script(user);
  }
  return change;
}

// Returns an update change, or nullopt when the account matches.
std::optional<Change> update_user(const state::User& user, const UserFacts& fact) {
  Change change;
  change.action = Action::kUpdate;
  std::string options;
  std::vector<std::string> reasons;
  auto note = [&](const std::string& name, const std::string& before, const std::string& after) {
    change.fields.push_back(field(name, before, after));
    reasons.push_back(name + " is " + (before.empty() ? "(none)" : before) + ", want " + after);
  };
  if (user.uid && *user.uid != fact.uid) {
    note("uid", std::to_string(fact.uid), std::to_string(*user.uid));
    options += " --uid " + std::to_string(*user.uid);
  }
  if (user.group && *user.group != fact.primary_group) {
    note("group", fact.primary_group, *user.group);
    options += " --gid " + shell_quote(*user.group);
  }
  if (user.groups) {
    std::set<std::string> wanted = wanted_groups(user, &fact);
    if (wanted != fact.groups) {
      std::vector<std::string> before(fact.groups.begin(), fact.groups.end());
      std::vector<std::string> after(wanted.begin(), wanted.end());
      note("groups", joined_groups(before), after.empty() ? "(none)" : joined_groups(after));
      options += " --groups " + shell_quote(joined_groups(after));
    }
  }
  if (user.shell && *user.shell != fact.shell) {
    note("shell", fact.shell, *user.shell);
    options += " --shell " + shell_quote(*user.shell);
  }
  if (user.home && *user.home != fact.home) {
    note("home", fact.home, *user.home);
    options += " --home " + shell_quote(*user.home) + " --move-home";
  }
  if (user.comment && *user.comment != fact.comment) {
    note("comment", fact.comment, *user.comment);
    options += " --comment " + shell_quote(*user.comment);
  }
  if (!options.empty())
    change.script = "usermod" + options + " -- " + shell_quote(user.name) + "\n";
  bool password_differs =
      (user.password_hash && fact.shadow_digest != sha256_hex(*user.password_hash)) ||
      (user.password_hash_secret && fact.password_matches_secret != true);
  if (password_differs) {
    change.fields.push_back(FieldChange{"password", "(sensitive)", "(sensitive)", true});
    reasons.push_back("password hash differs");
    change.script += set_password_script(user);
  }
  if (change.script.empty()) return std::nullopt;
  change.reason = join(reasons, "; ");
  return change;
}

std::optional<Change> update_keys(const state::User& user, const UserFacts* fact) {
  std::string content;
  for (const auto& key : *user.authorized_keys)
    content += key + "\n";
  std::string digest = sha256_hex(content);
  Change change;
  change.module = "users";
  change.resource = "authorized_keys of " + user.name;
  change.key = "keys:" + user.name;
  change.requires_keys = {"user:" + user.name};
  change.phase = Phase::kUsers;
  std::vector<std::string> reasons;
  if (fact == nullptr || !fact->keys_digest) {
    change.action = Action::kCreate;
    reasons.push_back("file does not exist");
    change.fields.push_back(
        field("keys", "", std::to_string(user.authorized_keys->size()) + " key(s)"));
  } else {
    change.action = Action::kUpdate;
    std::string owner = fact->primary_group.empty() ? "" : user.name + ":" + fact->primary_group;
    if (*fact->keys_digest != digest) {
      reasons.push_back("content differs");
      change.fields.push_back(
          field("sha256", fact->keys_digest->substr(0, 12), digest.substr(0, 12)));
    }
    if (fact->keys_mode != "600") {
      reasons.push_back("mode is " + fact->keys_mode + ", want 600");
      change.fields.push_back(field("mode", fact->keys_mode, "600"));
    }
    if (!owner.empty() && fact->keys_owner != owner) {
      reasons.push_back("owner is " + fact->keys_owner + ", want " + owner);
      change.fields.push_back(field("owner", fact->keys_owner, owner));
    }
    if (fact->ssh_dir_mode != "700") {
      reasons.push_back(".ssh mode is " + fact->ssh_dir_mode + ", want 700");
      change.fields.push_back(field(".ssh mode", fact->ssh_dir_mode, "700"));
    }
    if (reasons.empty()) return std::nullopt;
  }
  change.reason = join(reasons, "; ");
  change.script =
      "u=" + shell_quote(user.name) + "\n" +
      "home=$(getent passwd \"$u\" | cut -d: -f6)\n"
      "group=$(id -gn \"$u\")\n"
      "[ -n \"$home\" ] || { echo \"user $u has no home directory\" >&2; exit 1; }\n"
      "mkdir -p -- \"$home/.ssh\"\n"
      "chown -- \"$u:$group\" \"$home/.ssh\"\n"
      "chmod 700 \"$home/.ssh\"\n" +
      atomic_write_script("\"$home/.ssh/authorized_keys\"", "\"$u\"", "\"$group\"", "600");
  change.input = content;
  return change;
}

}  // namespace

std::vector<ProbeFragment> probe_users(const state::Host& host) {
  if (host.users.empty()) return {};
  std::string script = kProbeFunction;
  for (const auto& user : host.users) {
    std::string mode = "none";
    std::string secret;
    if (user.password_hash) mode = "digest";
    if (user.password_hash_secret) {
      mode = "secret";
      secret = *user.password_hash_secret;
    }
    script +=
        "probe_user " + shell_quote(user.name) + " " + mode + " " + shell_quote(secret) + "\n";
  }
  return {{"users", script}};
}

Status parse_users(const Sections& sections, const state::Host& host, HostFacts& facts) {
  for (const auto& user : host.users)
    facts.users[user.name] = std::nullopt;
  auto it = sections.find("users");
  if (it == sections.end()) return ok();
  for (const auto& line : lines_of(it->second.text)) {
    auto words = words_of(line);
    if (words.size() < 3 || words[0] != "user" || facts.users.count(words[1]) == 0) {
      return data_loss("unexpected users probe line '" + line + "'");
    }
    auto& slot = facts.users[words[1]];
    const std::string& kind = words[2];
    if (kind == "missing") continue;
    if (!slot) slot.emplace();
    UserFacts& user = *slot;
    // "user NAME KIND REST", single spaces as printf wrote them.
    size_t offset = std::string("user ").size() + words[1].size() + 1 + kind.size() + 1;
    std::string rest = offset < line.size() ? line.substr(offset) : std::string();
    if (kind == "passwd") {
      auto fields = split(rest, ':');
      if (fields.size() != 7) return data_loss("unexpected passwd entry '" + rest + "'");
      user.uid = static_cast<uint32_t>(std::strtoul(fields[2].c_str(), nullptr, 10));
      user.gid = static_cast<uint32_t>(std::strtoul(fields[3].c_str(), nullptr, 10));
      user.comment = fields[4];
      user.home = fields[5];
      user.shell = fields[6];
    } else if (kind == "primary") {
      user.primary_group = rest;
    } else if (kind == "groups") {
      for (const auto& group : words_of(rest))
        user.groups.insert(group);
    } else if (kind == "home_exists") {
      user.home_exists = true;
    } else if (kind == "sshdir" && words.size() >= 5) {
      user.ssh_dir_owner = words[3];
      user.ssh_dir_mode = words[4];
    } else if (kind == "keys" && words.size() >= 6) {
      user.keys_digest = words[3];
      user.keys_owner = words[4];
      user.keys_mode = words[5];
    } else if (kind == "shadow" && words.size() >= 4) {
      user.shadow_digest = words[3];
    } else if (kind == "pwsecret" && words.size() >= 4) {
      user.password_matches_secret = words[3] == "match";
    }
  }
  // id -Gn lists the primary group too; facts keep supplementary groups only.
  for (auto& [name, user] : facts.users) {
    if (user) user->groups.erase(user->primary_group);
  }
  return ok();
}

void diff_users(const DiffContext& context, std::vector<Change>& changes) {
  for (const auto& user : context.host.users) {
    const auto& fact = context.facts.users.at(user.name);
    std::optional<Change> change;
    if (user.state == state::Presence::kAbsent) {
      if (!fact) continue;
      change.emplace();
      change->action = Action::kRemove;
      change->destructive = true;
      change->reason = "declared absent; home directory " + fact->home + " is kept";
      change->fields.push_back(field("uid", std::to_string(fact->uid), ""));
      change->script = "userdel -- " + shell_quote(user.name) + "\n";
    } else if (!fact) {
      change = create_user(user);
    } else {
      change = update_user(user, *fact);
    }
    if (change) {
      change->module = "users";
      change->resource = "user " + user.name;
      change->key = "user:" + user.name;
      change->phase = Phase::kUsers;
      if (user.group) change->requires_keys.push_back("group:" + *user.group);
      if (user.groups) {
        for (const auto& group : *user.groups)
          change->requires_keys.push_back("group:" + group);
      }
      if (user.password_hash_secret) {
        change->requires_keys.push_back("secret:" + *user.password_hash_secret);
      }
      changes.push_back(std::move(*change));
    }
    if (user.state == state::Presence::kPresent && user.authorized_keys) {
      if (auto keys = update_keys(user, fact ? &*fact : nullptr))
        changes.push_back(std::move(*keys));
    }
  }
}

}  // namespace reconcile::modules
