#pragma once

// A YAML document as a plain tree whose every node remembers the file, line
// and column it came from. yaml-cpp is only used to parse; its exceptions and
// types stay inside yaml_tree.cc. Owning the tree lets role merging keep each
// value's origin, so an error in a merged host points at the role file that
// contributed the bad value.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reconciler/base/diagnostics.h"
#include "reconciler/base/result.h"

namespace reconcile {

class YamlNode {
 public:
  enum class Kind { kNull, kScalar, kSequence, kMap };

  YamlNode() = default;
  static YamlNode scalar(std::string text, Location location, bool quoted = false);
  static YamlNode null(Location location);
  static YamlNode sequence(Location location);
  static YamlNode map(Location location);

  Kind kind() const { return m_kind; }
  bool is_null() const { return m_kind == Kind::kNull; }
  bool is_scalar() const { return m_kind == Kind::kScalar; }
  bool is_sequence() const { return m_kind == Kind::kSequence; }
  bool is_map() const { return m_kind == Kind::kMap; }
  const Location& location() const { return m_location; }

  // The scalar's text exactly as written (no YAML 1.1 conversions such as
  // octal or yes/no to bool); empty for other kinds.
  const std::string& text() const { return m_text; }
  // True when the scalar was single- or double-quoted in the source.
  bool quoted() const { return m_quoted; }

  const std::vector<YamlNode>& items() const { return m_items; }
  std::vector<YamlNode>& items() { return m_items; }
  // Map entries in source order. Keys are scalars (the parser rejects others).
  const std::vector<std::pair<YamlNode, YamlNode>>& entries() const { return m_entries; }
  std::vector<std::pair<YamlNode, YamlNode>>& entries() { return m_entries; }

  // The value for a map key, or nullptr when absent (or this is not a map).
  const YamlNode* find(std::string_view key) const;
  YamlNode* find(std::string_view key);

  // "a string", "a map", ... for messages.
  std::string_view kind_name() const;

 private:
  Kind m_kind = Kind::kNull;
  Location m_location;
  std::string m_text;
  bool m_quoted = false;
  std::vector<YamlNode> m_items;
  std::vector<std::pair<YamlNode, YamlNode>> m_entries;
};

struct YamlLimits {
  size_t max_bytes = 4 << 20;  // larger documents are refused
  size_t max_nodes = 200'000;  // bounds alias expansion ("billion laughs")
  int max_depth = 64;          // bounds recursion on deeply nested input
};

// Parses one YAML document. An empty document gives a null node.
// Errors (syntax, duplicate keys, non-scalar keys, NUL bytes in values,
// multiple documents, limits) are kInvalidArgument with "file:line:col: ...".
Result<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                            const YamlLimits& limits = {});

// The same, reporting a failure into `diagnostics` (with its location)
// instead of returning an error.
std::optional<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                                   Diagnostics& diagnostics, const YamlLimits& limits = {});

// Deep merge as the desired-state format defines it: maps merge key by key,
// recursively; any other value in `overlay` replaces the one in `base`.
void merge_yaml(YamlNode& base, const YamlNode& overlay);

}  // namespace reconcile
