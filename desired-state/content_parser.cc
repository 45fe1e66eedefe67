// packages:, files:, services:, sysctl: and secrets: sections.

#include "desired-state/field_reader.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"
#include "desired-state/template.h"
#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

std::string check_service_reference(std::string_view name) {
  return check_service_name(name);
}

std::string strip_service_suffix(std::string name) {
  const std::string suffix = ".service";
  if (name.size() > suffix.size() &&
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    name.resize(name.size() - suffix.size());
  }
  return name;
}

void add_package(const YamlNode& node, const std::string& name, Presence state, Host& host,
                 ParseContext& ctx) {
  std::string problem = check_package_name(name);
  if (!problem.empty()) {
    ctx.diagnostics.error(node.location(),
                          "packages: expected " + problem + ", got '" + name + "'");
    return;
  }
  for (const auto& existing : host.packages) {
    if (existing.name == name) {
      ctx.diagnostics.error(node.location(), "packages: '" + name + "' is listed twice");
      return;
    }
  }
  host.packages.push_back({name, state});
}

// Content of a regular file: inline `content:` or a `source:` under files/.
void read_file_content(FieldReader& reader, ManagedFile& file, const Host& host,
                       ParseContext& ctx) {
  const YamlNode* content = reader.get("content");
  const YamlNode* source = reader.get("source");
  bool templated = reader.boolean("template").value_or(false);
  if (content != nullptr && source != nullptr) {
    reader.error(*source, "source", "give either content or source, not both");
    return;
  }
  if (file.type == FileType::kDirectory || file.state == Presence::kAbsent) {
    const YamlNode* extra = content != nullptr ? content : source;
    if (extra != nullptr) {
      reader.error(*extra, content != nullptr ? "content" : "source",
                   file.state == Presence::kAbsent ? "an absent file has no content"
                                                   : "a directory has no content");
    }
    return;
  }
  std::optional<std::string> text_file;
  std::optional<std::string> bytes;
  Location where = reader.node().location();
  if (content != nullptr) {
    bytes = read_string(*content, reader.field_path("content"), ctx.diagnostics);
    where = content->location();
  } else if (source != nullptr) {
    where = source->location();
    auto path = read_string(*source, reader.field_path("source"), ctx.diagnostics);
    if (!path) return;
    std::string problem = check_repo_path(*path, "files/");
    if (!problem.empty()) {
      reader.error(*source, "source", "expected " + problem + ", got '" + *path + "'");
      return;
    }
    file.source = *path;
    auto data = ctx.source.read(*path);
    if (!data) {
      reader.error(*source, "source", "'" + *path + "' does not exist in the repository");
      return;
    }
    bytes = std::move(*data);
    text_file = *path;
  } else {
    reader.diagnostics().error(reader.node().location(),
                               reader.path() + ": a file needs content or source");
    return;
  }
  if (!bytes) return;
  if (templated && ctx.check_references) {
    TemplateContext context{host.name, host.address, &host.vars};
    bytes = render_template(*bytes, context, text_file, where, ctx.diagnostics);
  }
  file.content = std::move(bytes);
}

}  // namespace

void parse_packages(const YamlNode& node, Host& host, ParseContext& ctx) {
  if (node.is_sequence()) {
    for (const auto& item : node.items()) {
      auto name = read_string(item, "packages", ctx.diagnostics);
      if (name) add_package(item, *name, Presence::kPresent, host, ctx);
    }
    return;
  }
  for_each_entry(node, "packages (a list of names, or a map of name: present|absent)", ctx,
                 [&](const YamlNode& key, const YamlNode& value) {
                   auto state = read_string(value, "packages." + key.text(), ctx.diagnostics);
                   if (!state) return;
                   if (*state != "present" && *state != "absent") {
                     ctx.diagnostics.error(value.location(), "packages." + key.text() +
                                                                 ": expected present or absent, "
                                                                 "got '" +
                                                                 *state + "'");
                     return;
                   }
                   add_package(key, key.text(),
                               *state == "absent" ? Presence::kAbsent : Presence::kPresent, host,
                               ctx);
                 });
}

void parse_files(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "files", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_absolute_path(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(key.location(),
                            "files: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    FieldReader reader(value, "files." + key.text(), ctx.diagnostics);
    ManagedFile file;
    file.path = key.text();
    if (reader.absent()) file.state = Presence::kAbsent;
    auto type = reader.choice("type", {"file", "directory"});
    if (type) file.type = *type == "directory" ? FileType::kDirectory : FileType::kFile;
    bool type_ok = type || reader.get("type") == nullptr;
    file.owner = reader.checked("owner", check_user_name);
    file.group = reader.checked("group", check_group_name);
    file.mode = reader.mode("mode");
    if (auto restart = reader.checked_list("restart", check_service_reference)) {
      for (auto& name : *restart)
        file.restart.push_back(strip_service_suffix(name));
    }
    if (type_ok) {
      read_file_content(reader, file, host, ctx);
    } else {
      for (const char* key : {"content", "source", "template"})
        reader.get(key);
    }
    reader.finish();
    host.files.push_back(std::move(file));
  });
}

void parse_services(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "services", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_service_name(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(key.location(),
                            "services: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    FieldReader reader(value, "services." + key.text(), ctx.diagnostics);
    Service service;
    service.name = strip_service_suffix(key.text());
    service.enabled = reader.boolean("enabled");
    service.running = reader.boolean("running");
    service.unit = reader.string("unit");
    reader.finish();
    host.services.push_back(std::move(service));
  });
}

void parse_sysctl(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "sysctl", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_sysctl_key(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(key.location(),
                            "sysctl: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    auto text = read_string(value, "sysctl." + key.text(), ctx.diagnostics);
    if (!text) return;
    if (!check_single_line(*text).empty() || trim(*text).empty()) {
      ctx.diagnostics.error(value.location(),
                            "sysctl." + key.text() + ": expected a non-empty single-line value");
      return;
    }
    host.sysctl[key.text()] = *text;
  });
}

void parse_secrets(const YamlNode& node, Host& host, ParseContext& ctx) {
  for_each_entry(node, "secrets", ctx, [&](const YamlNode& key, const YamlNode& value) {
    std::string problem = check_secret_name(key.text());
    if (!problem.empty()) {
      ctx.diagnostics.error(key.location(),
                            "secrets: expected " + problem + ", got '" + key.text() + "'");
      return;
    }
    FieldReader reader(value, "secrets." + key.text(), ctx.diagnostics);
    SecretDelivery secret;
    secret.name = key.text();
    secret.source = "secrets/" + key.text() + ".age";
    const YamlNode* source_node = reader.get("source");
    if (source_node != nullptr) {
      if (auto source = reader.checked(
              "source", [](std::string_view path) { return check_repo_path(path, "secrets/"); })) {
        secret.source = *source;
      }
    }
    if (ctx.check_references && !ctx.source.is_file(secret.source)) {
      ctx.diagnostics.error(
          source_node != nullptr ? source_node->location() : key.location(),
          "secrets." + key.text() + ": '" + secret.source + "' does not exist in the repository");
    }
    secret.owner = reader.checked("owner", check_user_name).value_or("root");
    secret.group = reader.checked("group", check_group_name).value_or("root");
    secret.mode = reader.mode("mode").value_or(0400);
    secret.needed_for_users = reader.boolean("needed_for_users").value_or(false);
    if (auto restart = reader.checked_list("restart", check_service_reference)) {
      for (auto& name : *restart)
        secret.restart.push_back(strip_service_suffix(name));
    }
    reader.finish();
    host.secrets.push_back(std::move(secret));
  });
}

}  // namespace reconcile::state
