#pragma once

// Typed, validating access to one YAML map of the desired state. Each getter
// registers its key as known; finish() then reports every key that no getter
// asked for, with a "did you mean" for near misses. Every problem is added to
// the Diagnostics with the location of the offending node, and the getter
// returns nullopt, so parsing continues and one run reports all errors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/diagnostics.h"
#include "reconciler/base/yaml_tree.h"

namespace reconcile::state {

class FieldReader {
 public:
  // `path` names the map in messages ("users.alice"); empty at top level.
  // A null node reads as an empty map; any other non-map is an error.
  FieldReader(const YamlNode& node, std::string path, Diagnostics& diagnostics);

  bool is_map() const { return m_is_map; }
  const YamlNode& node() const { return m_node; }
  const std::string& path() const { return m_path; }
  Diagnostics& diagnostics() { return m_diagnostics; }

  // The raw node for `key`, or nullptr when absent. Registers the key.
  const YamlNode* get(std::string_view key);

  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  // File mode as octal digits ("0644", 0644 and 644 all mean 0644).
  std::optional<uint32_t> mode(std::string_view key);
  // A list of scalars; a single scalar is not accepted.
  std::optional<std::vector<std::string>> strings(std::string_view key);
  // A string that `check` accepts (check returns "" or what was expected).
  using Check = std::string (*)(std::string_view);
  std::optional<std::string> checked(std::string_view key, Check check);
  // A list of strings that `check` accepts, each error at its item.
  std::optional<std::vector<std::string>> checked_list(std::string_view key, Check check);
  // One of `choices`; the message lists them.
  std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices);
  // "absent" or "present" (default present when the key is missing).
  bool absent();

  // Adds an error at `node` prefixed with the field's dotted path.
  void error(const YamlNode& node, std::string_view key, const std::string& message);

  // Reports unknown keys. Call after all getters.
  void finish();

  std::string field_path(std::string_view key) const;

 private:
  const YamlNode& m_node;
  std::string m_path;
  Diagnostics& m_diagnostics;
  bool m_is_map = false;
  std::vector<std::string> m_known;
};

// Scalar conversions used by FieldReader and by list/map parsers. Each adds
// an error naming `what` and returns nullopt on bad input.
std::optional<std::string> read_string(const YamlNode& node, const std::string& what,
                                       Diagnostics& diagnostics);
std::optional<bool> read_bool(const YamlNode& node, const std::string& what,
                              Diagnostics& diagnostics);
std::optional<int64_t> read_integer(const YamlNode& node, const std::string& what, int64_t min,
                                    int64_t max, Diagnostics& diagnostics);
std::optional<std::vector<std::string>> read_strings(const YamlNode& node, const std::string& what,
                                                     Diagnostics& diagnostics);

// Durations: "90s", "5m", "1h", "2d" or a plain number of seconds.
std::optional<int64_t> parse_duration_seconds(std::string_view text);

}  // namespace reconcile::state
