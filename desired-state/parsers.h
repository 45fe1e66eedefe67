#pragma once

// Section parsers of the desired-state format, used by the loader. Each takes
// the node of one section (already merged from roles and host), fills the
// typed model, and reports problems into ctx.diagnostics. They never stop at
// the first error.

#include <set>
#include <string>

#include "desired-state/model.h"
#include "desired-state/source.h"
#include "reconciler/base/diagnostics.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::state {

struct ParseContext {
  Diagnostics& diagnostics;
  const RepoSource& source;
  const std::set<std::string>& disk_layouts;
  // False when a role file is checked on its own: references that the host
  // may complete (secrets named by users, file sources under templating) are
  // checked only once merged into a host.
  bool check_references = true;
};

// The whole host: the merged tree of its roles and its own file.
Host parse_host(const YamlNode& merged, const std::string& name, const std::string& file,
                const RepoSettings& settings, ParseContext& ctx);

// A role file on its own: keys and types only. `roles` and `address` are not
// allowed in a role.
void check_role(const YamlNode& role, ParseContext& ctx);

RepoSettings parse_settings(const YamlNode& root, ParseContext& ctx);

void parse_ssh_connection(const YamlNode& node, const std::string& path, SshConnection& out,
                          bool allow_host_key, ParseContext& ctx);
void parse_groups(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_users(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_packages(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_files(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_services(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_sysctl(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_secrets(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_security(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_health(const YamlNode& node, Host& host, ParseContext& ctx);
void parse_rollout(const YamlNode& node, RolloutPolicy& policy, ParseContext& ctx);

// Once hosts are loaded: every rollout.canary entry names a host or a role.
void check_rollout_references(const Repo& repo, Diagnostics& diagnostics);

// Calls `each(key, value)` for every entry when `node` is a map (null counts
// as empty); otherwise reports "expected a map of <what>".
template <typename Function>
void for_each_entry(const YamlNode& node, const std::string& what, ParseContext& ctx,
                    Function each) {
  if (node.is_null()) return;
  if (!node.is_map()) {
    ctx.diagnostics.error(node.location(),
                          what + ": expected a map, got " + std::string(node.kind_name()));
    return;
  }
  for (const auto& [key, value] : node.entries())
    each(key, value);
}

}  // namespace reconcile::state
