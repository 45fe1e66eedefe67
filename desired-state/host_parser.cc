// The top level of a host (and of a role, which is a host fragment), plus
// the small sections: ssh connection, disk, vars, age_recipient.

#include <algorithm>

#include "desired-state/field_reader.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"

namespace reconcile::state {

namespace {

// Top-level keys in the order the summary lists them.
const std::vector<std::string>& section_order() {
  static const std::vector<std::string> order = {
      "address",  "ssh",    "roles",    "disk",    "groups", "users",         "packages", "files",
      "services", "sysctl", "security", "secrets", "vars",   "age_recipient", "health"};
  return order;
}

std::string check_var_name(std::string_view name) {
  bool ok =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
      std::all_of(name.begin(), name.end(),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
  if (!ok) return "a variable name of letters, digits and '_'";
  return {};
}

std::string check_age_recipient(std::string_view recipient) {
  bool ok = recipient.size() > 10 && recipient.substr(0, 4) == "age1" &&
            std::all_of(recipient.begin(), recipient.end(),
                        [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  if (!ok) return "an age X25519 recipient (age1...)";
  return {};
}

void parse_disk(const YamlNode& node, Host& host, ParseContext& ctx) {
  FieldReader reader(node, "disk", ctx.diagnostics);
  DiskAssignment disk;
  const YamlNode* layout = reader.get("layout");
  if (layout == nullptr) {
    ctx.diagnostics.error(node.location(), "disk: a layout is required (disk-layouts/NAME.yaml)");
  } else if (auto name = read_string(*layout, "disk.layout", ctx.diagnostics)) {
    disk.layout = *name;
    if (ctx.disk_layouts.count(*name) == 0) {
      std::vector<std::string> known(ctx.disk_layouts.begin(), ctx.disk_layouts.end());
      reader.error(
          *layout, "layout",
          "no disk layout '" + *name + "' (disk-layouts/" + *name + ".yaml does not exist)");
    }
  }
  if (auto device = reader.checked("device", check_absolute_path)) disk.devices.push_back(*device);
  if (auto devices = reader.checked_list("devices", check_absolute_path)) {
    if (!disk.devices.empty()) {
      reader.error(*reader.get("devices"), "devices", "give either device or devices, not both");
    }
    disk.devices = *devices;
  }
  if (disk.devices.empty() && reader.is_map()) {
    ctx.diagnostics.error(node.location(), "disk: a device is required (e.g. device: /dev/sda)");
  }
  disk.mount_root = reader.checked("mount_root", check_absolute_path).value_or("/");
  reader.finish();
  host.disk = std::move(disk);
}

void parse_vars(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "vars", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_var_name(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(key.location(),
                            "vars: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    if (auto text = read_string(value, "vars." + key.text(), ctx.diagnostics)) {
      host.vars[key.text()] = *text;
    }
  });
}

// Sections shared by hosts and roles.
void parse_sections(FieldReader& reader, Host& host, ParseContext& ctx) {
  if (const YamlNode* node = reader.get("ssh")) {
    parse_ssh_connection(*node, "ssh", host.ssh, true, ctx);
  }
  if (const YamlNode* node = reader.get("vars")) parse_vars(*node, host, ctx);
  if (const YamlNode* node = reader.get("disk")) parse_disk(*node, host, ctx);
  if (const YamlNode* node = reader.get("groups")) parse_groups(*node, host, ctx);
  if (const YamlNode* node = reader.get("users")) parse_users(*node, host, ctx);
  if (const YamlNode* node = reader.get("packages")) parse_packages(*node, host, ctx);
  if (const YamlNode* node = reader.get("files")) parse_files(*node, host, ctx);
  if (const YamlNode* node = reader.get("services")) parse_services(*node, host, ctx);
  if (const YamlNode* node = reader.get("sysctl")) parse_sysctl(*node, host, ctx);
  if (const YamlNode* node = reader.get("security")) parse_security(*node, host, ctx);
  if (const YamlNode* node = reader.get("secrets")) parse_secrets(*node, host, ctx);
  host.age_recipient = reader.checked("age_recipient", check_age_recipient);
  if (const YamlNode* node = reader.get("health")) parse_health(*node, host, ctx);
}

void check_references(const YamlNode& merged, Host& host, ParseContext& ctx) {
  for (const auto& user : host.users) {
    if (!user.password_hash_secret) continue;
    auto secret =
        std::find_if(host.secrets.begin(), host.secrets.end(),
                     [&](const SecretDelivery& s) { return s.name == *user.password_hash_secret; });
    const YamlNode* where = merged.find("users");
    if (where != nullptr && where->find(user.name) != nullptr) where = where->find(user.name);
    if (where != nullptr && where->find("password_hash_secret") != nullptr) {
      where = where->find("password_hash_secret");
    }
    Location location = where != nullptr ? where->location() : Location{host.file, 0, 0};
    if (secret == host.secrets.end()) {
      ctx.diagnostics.error(location, "users." + user.name + ".password_hash_secret: no secret '" +
                                          *user.password_hash_secret + "' in secrets:");
    } else if (!secret->needed_for_users) {
      ctx.diagnostics.error(location, "users." + user.name + ".password_hash_secret: secret '" +
                                          secret->name + "' must set needed_for_users: true");
    }
  }
}

}  // namespace

void parse_ssh_connection(const YamlNode& node, const std::string& path, SshConnection& out,
                          bool allow_host_key, ParseContext& ctx) {
  FieldReader reader(node, path, ctx.diagnostics);
  if (auto user = reader.checked("user", check_user_name)) out.user = *user;
  if (auto port = reader.integer("port", 1, 65535)) out.port = static_cast<int>(*port);
  if (allow_host_key) {
    if (auto key = reader.checked("host_key", check_ssh_public_key)) out.host_key = *key;
  }
  reader.finish();
}

Host parse_host(const YamlNode& merged, const std::string& name, const std::string& file,
                const RepoSettings& settings, ParseContext& ctx) {
  Host host;
  host.name = name;
  host.file = file;
  FieldReader reader(merged, "", ctx.diagnostics);
  host.address = reader.checked("address", check_address).value_or(name);
  if (auto roles = reader.strings("roles")) host.roles = *roles;
  parse_sections(reader, host, ctx);
  reader.finish();

  if (!host.ssh.user) host.ssh.user = settings.ssh_defaults.user.value_or("root");
  if (!host.ssh.port) host.ssh.port = settings.ssh_defaults.port.value_or(22);
  for (const auto& section : section_order()) {
    if (merged.find(section) != nullptr) host.sections.push_back(section);
  }
  if (ctx.check_references) check_references(merged, host, ctx);
  return host;
}

void check_role(const YamlNode& role, ParseContext& ctx) {
  FieldReader reader(role, "", ctx.diagnostics);
  for (const char* key : {"address", "roles"}) {
    if (const YamlNode* node = reader.get(key)) {
      ctx.diagnostics.error(node->location(), std::string("a role cannot set '") + key +
                                                  "'; set it in the host file");
    }
  }
  Host scratch;
  parse_sections(reader, scratch, ctx);
  reader.finish();
}

}  // namespace reconcile::state
