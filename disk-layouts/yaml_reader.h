#pragma once

// Small helpers for reading a validated YAML map: unknown keys are reported
// with a did-you-mean, wrong kinds with the expected kind, each at the
// file:line:col of the offending node. Internal to the disk layout parser.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/diagnostics.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::disk {

class MapReader {
 public:
  // Reports an error unless `node` is a map, and one for every key not in
  // `allowed`. `what` names the map in messages ("partition 2").
  MapReader(const YamlNode& node, std::string what, std::vector<std::string> allowed,
            Diagnostics& diagnostics);

  bool is_map() const { return m_node.is_map(); }
  const YamlNode& node() const { return m_node; }
  const std::string& what() const { return m_what; }

  // The value for `key`, or nullptr when absent.
  const YamlNode* find(std::string_view key) const { return m_node.find(key); }

  // A scalar value; reports an error (and returns nullopt) for other kinds.
  std::optional<std::string> scalar(std::string_view key) const;
  // A scalar that must be present.
  std::optional<std::string> required_scalar(std::string_view key) const;
  // A list of scalars (a single scalar is not accepted: lists stay lists).
  std::optional<std::vector<std::string>> scalar_list(std::string_view key) const;

  void error(const Location& location, std::string message) const {
    m_diagnostics.error(location, std::move(message));
  }

 private:
  const YamlNode& m_node;
  std::string m_what;
  Diagnostics& m_diagnostics;
};

// "unknown X 'ext3'; did you mean 'ext4'? (one of: a, b, c)"
std::string unknown_value_message(std::string_view what, std::string_view value,
                                  const std::vector<std::string>& choices);

}  // namespace reconcile::disk
