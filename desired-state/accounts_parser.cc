// users: and groups: sections.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"

namespace reconcile::state {

namespace {

constexpr int64_t kMaxId = 2147483647;

std::string check_crypt_hash(std::string_view hash) {
  if (hash == "!" || hash == "*" || hash == "!*") return {};
  bool ok =
      hash.size() >= 4 && hash[0] == '$' && std::none_of(hash.begin(), hash.end(), [](char c) {
        return c == ':' || c == ' ' || static_cast<unsigned char>(c) < 32;
      });
  if (!ok) {
    return "a crypt(3) hash such as '$y$...' or '$6$...' (or '!' to lock), never a plain "
           "password";
  }
  return {};
}

std::string check_comment(std::string_view comment) {
  if (comment.find(':') != std::string_view::npos) return "a comment without ':'";
  return check_single_line(comment);
}

// Account names are map keys; a bad one is reported and the entry skipped.
bool check_key(const YamlNode& key, const char* section, FieldReader::Check check,
               ParseContext& ctx) {
  std::string problem = check(key.text());
  if (problem.empty()) return true;
  ctx.diagnostics.error(key.location(), std::string(section) + ": expected " + problem + ", got '" +
                                            key.text() + "'");
  return false;
}

}  // namespace

void parse_groups(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "groups", ctx, [&](const YamlNode& key, const YamlNode& value) {
    if (!check_key(key, "groups", check_group_name, ctx)) return;
    FieldReader reader(value, "groups." + key.text(), ctx.diagnostics);
    Group group;
    group.name = key.text();
    if (reader.absent()) group.state = Presence::kAbsent;
    if (auto gid = reader.integer("gid", 0, kMaxId)) group.gid = static_cast<uint32_t>(*gid);
    group.system = reader.boolean("system").value_or(false);
    reader.finish();
    host.groups.push_back(std::move(group));
  });
}

void parse_users(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "users", ctx, [&](const YamlNode& key, const YamlNode& value) {
    if (!check_key(key, "users", check_user_name, ctx)) return;
    FieldReader reader(value, "users." + key.text(), ctx.diagnostics);
    User user;
    user.name = key.text();
    if (reader.absent()) user.state = Presence::kAbsent;
    if (auto uid = reader.integer("uid", 0, kMaxId)) user.uid = static_cast<uint32_t>(*uid);
    user.group = reader.checked("group", check_group_name);
    user.groups = reader.checked_list("groups", check_group_name);
    user.shell = reader.checked("shell", check_shell);
    user.home = reader.checked("home", check_absolute_path);
    user.comment = reader.checked("comment", check_comment);
    user.system = reader.boolean("system").value_or(false);
    user.password_hash = reader.checked("password_hash", check_crypt_hash);
    user.password_hash_secret = reader.checked("password_hash_secret", check_secret_name);
    if (user.password_hash && user.password_hash_secret) {
      reader.error(*reader.get("password_hash_secret"), "password_hash_secret",
                   "give either password_hash or password_hash_secret, not both");
    }
    user.authorized_keys = reader.checked_list("authorized_keys", check_ssh_public_key);
    reader.finish();
    host.users.push_back(std::move(user));
  });
}

}  // namespace reconcile::state
