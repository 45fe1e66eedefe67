// Builds YamlNode trees from yaml-cpp's parser events. yaml-cpp throws and
// reports 0-based marks; this adapter catches every exception, expands
// aliases under a node budget (so an alias bomb is an error, not an
// out-of-memory), bounds the depth, and turns marks into 1-based Locations.

#include "reconciler/base/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <optional>
#include <set>
#include <sstream>
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

// Thrown from the event handler to stop yaml-cpp's parser at the first
// problem; caught in parse() and never beyond this file.
struct Abort {
  Failure failure;
};

// Builds a YamlNode tree from yaml-cpp's parse events. Using events rather
// than YAML::LoadAll keeps control of the document loop: LoadAll in yaml-cpp
// 0.7 loops forever on input such as "," (upstream issue #1040), and
// YAML::Load silently returns null for it. Aliases are expanded here, counted
// against the node budget so that an alias bomb stops early.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& file, const YamlLimits& limits) : m_file(file), m_limits(limits) {}

  bool has_root() const { return m_root.has_value(); }
  YamlNode take_root() { return std::move(*m_root); }
  const Location& document_start() const { return m_document_start; }

  void OnDocumentStart(const YAML::Mark& mark) override { m_document_start = location(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(YamlNode::null(location(mark)), anchor, 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    if (it == m_anchors.end()) abort(location(mark), "unknown alias");
    add(it->second.node, 0, it->second.size);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (value.find('\0') != std::string::npos) abort(location(mark), "value contains a NUL byte");
    // yaml-cpp tags plain scalars "?" and quoted ones "!".
    bool plain = tag == "?";
    if (plain && (value == "~" || value == "null" || value == "Null" || value == "NULL")) {
      add(YamlNode::null(location(mark)), anchor, 1);
      return;
    }
    add(YamlNode::scalar(value, location(mark), !plain), anchor, 1);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(YamlNode::sequence(location(mark)), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(YamlNode::map(location(mark)), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    size_t first_count = 0;  // m_nodes when the container opened
    std::optional<YamlNode> key;
    std::set<std::string> keys;
  };
  struct Anchored {
    YamlNode node;
    size_t size = 0;
  };

  [[noreturn]] void abort(const Location& where, std::string message) {
    throw Abort{Failure{where, std::move(message)}};
  }

  Location location(const YAML::Mark& mark) const {
    if (mark.line < 0 || mark.column < 0) return Location{m_file};
    return Location{m_file, mark.line + 1, mark.column + 1};
  }

  void count(size_t nodes, const Location& where) {
    m_nodes += nodes;
    if (m_nodes > m_limits.max_nodes) {
      abort(where, "document too large (more than " + std::to_string(m_limits.max_nodes) +
                       " nodes, counting aliases)");
    }
  }

  void open(YamlNode node, YAML::anchor_t anchor) {
    if (static_cast<int>(m_stack.size()) >= m_limits.max_depth) {
      abort(node.location(),
            "nested deeper than " + std::to_string(m_limits.max_depth) + " levels");
    }
    count(1, node.location());
    m_stack.push_back(Frame{std::move(node), anchor, m_nodes, std::nullopt, {}});
  }

  void close() {
    Frame frame = std::move(m_stack.back());
    m_stack.pop_back();
    if (frame.key) abort(frame.key->location(), "map key without a value");
    size_t size = m_nodes - frame.first_count + 1;
    attach(std::move(frame.node), frame.anchor, size);
  }

  void add(YamlNode node, YAML::anchor_t anchor, size_t size) {
    count(size, node.location());
    attach(std::move(node), anchor, size);
  }

  void attach(YamlNode node, YAML::anchor_t anchor, size_t size) {
    if (anchor != 0) m_anchors[anchor] = Anchored{node, size};
    if (m_stack.empty()) {
      m_root = std::move(node);
      return;
    }
    Frame& top = m_stack.back();
    if (top.node.is_sequence()) {
      top.node.items().push_back(std::move(node));
    } else if (!top.key) {
      if (!node.is_scalar()) {
        abort(node.location(),
              "a map key must be a plain value, not " + std::string(node.kind_name()));
      }
      if (!top.keys.insert(node.text()).second) {
        abort(node.location(), "duplicate key '" + node.text() + "'");
      }
      top.key = std::move(node);
    } else {
      top.node.entries().emplace_back(std::move(*top.key), std::move(node));
      top.key.reset();
    }
  }

  const std::string& m_file;
  const YamlLimits& m_limits;
  std::vector<Frame> m_stack;
  std::optional<YamlNode> m_root;
  std::map<YAML::anchor_t, Anchored> m_anchors;
  size_t m_nodes = 0;
  Location m_document_start;
};

std::variant<YamlNode, Failure> parse(std::string_view text, const std::string& file,
                                      const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Failure{Location{file}, "file too large (" + std::to_string(text.size()) +
                                       " bytes, limit " + std::to_string(limits.max_bytes) + ")"};
  }
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    TreeBuilder first(file, limits);
    if (!parser.HandleNextDocument(first) || !first.has_root()) {
      return YamlNode::null(Location{file, 1, 1});
    }
    // One document only. A second document also shows up here when yaml-cpp
    // stops at a token it cannot place (such as a stray ','), which must not
    // pass as an empty file.
    TreeBuilder second(file, limits);
    if (parser.HandleNextDocument(second)) {
      return Failure{second.document_start(),
                     "unexpected content after the first YAML document (a second document, or "
                     "a token such as a stray ',' that does not belong here); one document is "
                     "expected"};
    }
    return first.take_root();
  } catch (const Abort& abort) {
    return abort.failure;
  } catch (const YAML::Exception& e) {
    Location location{file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
                      e.mark.column >= 0 ? e.mark.column + 1 : 0};
    return Failure{location, "YAML syntax error: " + e.msg};
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
