// Converts yaml-cpp's node graph into YamlNode trees. yaml-cpp throws, shares
// aliased nodes and reports 0-based marks; this adapter catches every
// exception, expands aliases under a node budget (so an alias bomb is an
// error, not an out-of-memory), bounds the depth, and turns marks into 1-based
// Locations.

#include "reconciler/base/yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <optional>
#include <set>
#include <variant>

namespace reconcile {

YamlNode YamlNode::scalar(std::string text, Location location, bool quoted) {
  YamlNode node;
  node.m_kind = Kind::kScalar;
  node.m_text = std::move(text);
  node.m_location = std::move(location);
  node.m_quoted = quoted;
  return node;
}

YamlNode YamlNode::null(Location location) {
  YamlNode node;
  node.m_location = std::move(location);
  return node;
}

YamlNode YamlNode::sequence(Location location) {
  YamlNode node;
  node.m_kind = Kind::kSequence;
  node.m_location = std::move(location);
  return node;
}

YamlNode YamlNode::map(Location location) {
  YamlNode node;
  node.m_kind = Kind::kMap;
  node.m_location = std::move(location);
  return node;
}

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const auto& [k, v] : m_entries) {
    if (k.text() == key) return &v;
  }
  return nullptr;
}

YamlNode* YamlNode::find(std::string_view key) {
  for (auto& [k, v] : m_entries) {
    if (k.text() == key) return &v;
  }
  return nullptr;
}

std::string_view YamlNode::kind_name() const {
  switch (m_kind) {
    case Kind::kNull:
      return "an empty value";
    case Kind::kScalar:
      return "a scalar";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
  }
  return "a value";
}

namespace {

// A parse failure with its location, turned into a Result error or a
// Diagnostic by the two public entry points.
struct Failure {
  Location location;
  std::string message;
};

class Converter {
 public:
  Converter(const std::string& file, const YamlLimits& limits) : m_file(file), m_limits(limits) {}

  // Returns nullopt and sets failure() on the first problem.
  std::optional<YamlNode> convert(const YAML::Node& node, const Location& parent, int depth) {
    if (++m_nodes > m_limits.max_nodes) {
      return fail(parent, "document too large (more than " + std::to_string(m_limits.max_nodes) +
                              " nodes, counting aliases)");
    }
    if (depth > m_limits.max_depth) {
      return fail(parent, "nested deeper than " + std::to_string(m_limits.max_depth) + " levels");
    }
    Location location = location_of(node, parent);
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return YamlNode::null(location);
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        if (text.find('\0') != std::string::npos) {
          return fail(location, "value contains a NUL byte");
        }
        return YamlNode::scalar(text, location, node.Tag() != "?");
      }
      case YAML::NodeType::Sequence: {
        YamlNode out = YamlNode::sequence(location);
        for (const auto& item : node) {
          auto converted = convert(item, location, depth + 1);
          if (!converted) return std::nullopt;
          out.items().push_back(std::move(*converted));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        YamlNode out = YamlNode::map(location);
        std::set<std::string> seen;
        for (const auto& entry : node) {
          auto key = convert(entry.first, location, depth + 1);
          if (!key) return std::nullopt;
          if (!key->is_scalar()) {
            return fail(key->location(),
                        "a map key must be a plain value, not " + std::string(key->kind_name()));
          }
          if (!seen.insert(key->text()).second) {
            return fail(key->location(), "duplicate key '" + key->text() + "'");
          }
          auto value = convert(entry.second, key->location(), depth + 1);
          if (!value) return std::nullopt;
          out.entries().emplace_back(std::move(*key), std::move(*value));
        }
        return out;
      }
    }
    return fail(location, "unknown YAML node type");
  }

  const Failure& failure() const { return m_failure; }

 private:
  std::nullopt_t fail(const Location& location, std::string message) {
    m_failure = Failure{location, std::move(message)};
    return std::nullopt;
  }

  Location location_of(const YAML::Node& node, const Location& parent) const {
    YAML::Mark mark = node.Mark();
    if (mark.line < 0 || mark.column < 0) return parent;
    return Location{m_file, mark.line + 1, mark.column + 1};
  }

  const std::string& m_file;
  const YamlLimits& m_limits;
  size_t m_nodes = 0;
  Failure m_failure;
};

std::variant<YamlNode, Failure> parse(std::string_view text, const std::string& file,
                                      const YamlLimits& limits) {
  Location start{file, 1, 1};
  if (text.size() > limits.max_bytes) {
    return Failure{Location{file}, "file too large (" + std::to_string(text.size()) +
                                       " bytes, limit " + std::to_string(limits.max_bytes) + ")"};
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    Location location{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                      e.mark.column >= 0 ? e.mark.column + 1 : 0};
    return Failure{location, "YAML syntax error: " + e.msg};
  } catch (const std::exception& e) {
    return Failure{Location{file}, std::string("YAML error: ") + e.what()};
  }
  if (documents.empty()) return YamlNode::null(start);
  if (documents.size() > 1) {
    return Failure{Location{file}, "holds " + std::to_string(documents.size()) +
                                       " YAML documents; one is expected"};
  }
  try {
    Converter converter(file, limits);
    auto root = converter.convert(documents.front(), start, 0);
    if (!root) return converter.failure();
    return std::move(*root);
  } catch (const std::exception& e) {
    return Failure{Location{file}, std::string("YAML error: ") + e.what()};
  }
}

}  // namespace

Result<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                            const YamlLimits& limits) {
  auto parsed = parse(text, file, limits);
  if (auto* failure = std::get_if<Failure>(&parsed)) {
    return invalid_argument(failure->location.to_string() + ": " + failure->message);
  }
  return std::move(std::get<YamlNode>(parsed));
}

std::optional<YamlNode> parse_yaml(std::string_view text, const std::string& file,
                                   Diagnostics& diagnostics, const YamlLimits& limits) {
  auto parsed = parse(text, file, limits);
  if (auto* failure = std::get_if<Failure>(&parsed)) {
    diagnostics.error(failure->location, failure->message);
    return std::nullopt;
  }
  return std::move(std::get<YamlNode>(parsed));
}

void merge_yaml(YamlNode& base, const YamlNode& overlay) {
  if (!base.is_map() || !overlay.is_map()) {
    base = overlay;
    return;
  }
  for (const auto& [key, value] : overlay.entries()) {
    if (YamlNode* existing = base.find(key.text())) {
      merge_yaml(*existing, value);
    } else {
      base.entries().emplace_back(key, value);
    }
  }
}

}  // namespace reconcile
