// Loads a repository in three passes: settings and disk layouts, then every
// role on its own (so a typo in an unused role is still reported), then every
// host merged with its roles in listed order, host last. Errors never stop
// the load; they accumulate so that one run reports all of them.

#include "desired-state/loader.h"

#include <algorithm>
#include <map>
#include <set>

#include "desired-state/memory_source.h"
#include "desired-state/names.h"
#include "desired-state/parsers.h"
#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

// "web1" for "web1.yaml" or "web1.yml"; empty for other names.
std::string yaml_stem(const std::string& file_name) {
  for (const char* extension : {".yaml", ".yml"}) {
    std::string ext(extension);
    if (file_name.size() > ext.size() &&
        file_name.compare(file_name.size() - ext.size(), ext.size(), ext) == 0) {
      return file_name.substr(0, file_name.size() - ext.size());
    }
  }
  return {};
}

struct YamlFile {
  std::string name;  // stem
  std::string path;  // repo-relative
  std::optional<YamlNode> tree;
};

// Reads and parses every NAME.yaml / NAME.yml in `directory`. Syntax errors
// are reported and leave `tree` empty; two files with the same stem are an
// error.
std::vector<YamlFile> read_yaml_directory(const RepoSource& source, const std::string& directory,
                                          Diagnostics& diagnostics) {
  std::vector<YamlFile> files;
  auto entries = source.list(directory);
  if (!entries) {
    diagnostics.error({directory}, entries.error().message());
    return files;
  }
  std::map<std::string, std::string> seen;
  for (const auto& entry : *entries) {
    std::string stem = yaml_stem(entry.name);
    if (entry.is_directory || stem.empty() || entry.name[0] == '.') continue;
    std::string path = directory + "/" + entry.name;
    auto [it, inserted] = seen.emplace(stem, path);
    if (!inserted) {
      diagnostics.error({path}, "'" + stem + "' is defined twice (also in " + it->second + ")");
      continue;
    }
    YamlFile file{stem, path, std::nullopt};
    auto text = source.read(path);
    if (!text) {
      diagnostics.error({path}, text.error().message());
    } else {
      file.tree = parse_yaml(*text, path, diagnostics);
    }
    files.push_back(std::move(file));
  }
  return files;
}

// Merges the host's roles (in listed order) and then the host itself.
std::optional<YamlNode> merge_host(const YamlFile& host,
                                   const std::map<std::string, YamlFile*>& roles,
                                   Diagnostics& diagnostics) {
  const YamlNode& tree = *host.tree;
  if (!tree.is_map() && !tree.is_null()) {
    diagnostics.error(tree.location(), "a host file must be a map of sections, got " +
                                           std::string(tree.kind_name()));
    return std::nullopt;
  }
  YamlNode merged = YamlNode::map(Location{host.path, 1, 1});
  const YamlNode* listed = tree.is_map() ? tree.find("roles") : nullptr;
  if (listed != nullptr && listed->is_sequence()) {
    std::set<std::string> used;
    std::vector<std::string> role_names;
    for (const auto& [name, file] : roles)
      role_names.push_back(name);
    for (const auto& item : listed->items()) {
      if (!item.is_scalar()) continue;  // reported by the roles field reader
      auto role = roles.find(item.text());
      if (role == roles.end()) {
        std::string message =
            "unknown role '" + item.text() + "' (roles/" + item.text() + ".yaml does not exist)";
        std::string suggestion = closest_match(item.text(), role_names);
        if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
        diagnostics.error(item.location(), message);
        continue;
      }
      if (!used.insert(item.text()).second) {
        diagnostics.error(item.location(), "role '" + item.text() + "' is listed twice");
        continue;
      }
      if (role->second->tree && role->second->tree->is_map()) {
        merge_yaml(merged, *role->second->tree);
      }
    }
  }
  if (tree.is_map()) merge_yaml(merged, tree);
  return merged;
}

}  // namespace

LoadResult load_repo(const RepoSource& source) {
  LoadResult result;
  Repo& repo = result.repo;
  Diagnostics& diagnostics = result.diagnostics;
  repo.origin = source.describe();
  repo.commit = source.commit();

  std::set<std::string> layout_names;
  ParseContext ctx{diagnostics, source, layout_names, true};

  auto settings_text = source.read("reconcile.yaml");
  if (!settings_text) {
    diagnostics.error({"reconcile.yaml"},
                      "missing: a desired-state repository has reconcile.yaml at its root "
                      "(it may be empty)");
  } else if (auto tree = parse_yaml(*settings_text, "reconcile.yaml", diagnostics)) {
    repo.settings = parse_settings(*tree, ctx);
  }

  for (auto& file : read_yaml_directory(source, "disk-layouts", diagnostics)) {
    layout_names.insert(file.name);
    if (!file.tree) continue;
    if (auto layout = disk::parse_disk_layout(*file.tree, file.name, diagnostics)) {
      repo.disk_layouts.emplace(file.name, std::move(*layout));
    }
  }

  std::vector<YamlFile> role_files = read_yaml_directory(source, "roles", diagnostics);
  std::map<std::string, YamlFile*> roles;
  for (auto& file : role_files) {
    roles[file.name] = &file;
    repo.roles.push_back(file.name);
    if (!file.tree) continue;
    ParseContext role_ctx{diagnostics, source, layout_names, false};
    check_role(*file.tree, role_ctx);
  }

  for (auto& file : read_yaml_directory(source, "hosts", diagnostics)) {
    std::string problem = check_host_name(file.name);
    if (!problem.empty()) {
      diagnostics.error({file.path}, "file name must be " + problem);
      continue;
    }
    if (!file.tree) continue;
    auto merged = merge_host(file, roles, diagnostics);
    if (!merged) continue;
    repo.hosts.push_back(parse_host(*merged, file.name, file.path, repo.settings, ctx));
  }
  for (auto& host : repo.hosts) {
    if (!host.disk) continue;
    auto layout = repo.disk_layouts.find(host.disk->layout);
    if (layout == repo.disk_layouts.end()) continue;  // reported: missing or invalid layout
    host.disk->model = layout->second;
    if (!host.disk->devices.empty() &&
        host.disk->devices.size() != layout->second.device_count()) {
      diagnostics.error({host.file}, "disk: layout '" + host.disk->layout + "' needs " +
                                         std::to_string(layout->second.device_count()) +
                                         " device(s), the host names " +
                                         std::to_string(host.disk->devices.size()));
    }
  }
  std::sort(repo.hosts.begin(), repo.hosts.end(),
            [](const Host& a, const Host& b) { return a.name < b.name; });
  check_rollout_references(repo, diagnostics);
  diagnostics.sort();
  return result;
}

LoadResult load_single_host(std::string_view yaml, const std::string& name) {
  MemorySource source({{"reconcile.yaml", ""}, {"hosts/" + name + ".yaml", std::string(yaml)}});
  return load_repo(source);
}

}  // namespace reconcile::state
