#include "desired-state/field_reader.h"

#include <algorithm>
#include <charconv>

#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

std::string describe_value(const YamlNode& node) {
  if (node.is_scalar()) return "'" + node.text() + "'";
  return std::string(node.kind_name());
}

}  // namespace

FieldReader::FieldReader(const YamlNode& node, std::string path, Diagnostics& diagnostics)
    : m_node(node), m_path(std::move(path)), m_diagnostics(diagnostics) {
  m_is_map = node.is_map() || node.is_null();
  if (!m_is_map) {
    m_diagnostics.error(node.location(), (m_path.empty() ? std::string("document") : m_path) +
                                             ": expected a map, got " + describe_value(node));
  }
}

std::string FieldReader::field_path(std::string_view key) const {
  return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
}

const YamlNode* FieldReader::get(std::string_view key) {
  m_known.emplace_back(key);
  if (!m_node.is_map()) return nullptr;
  const YamlNode* value = m_node.find(key);
  return value;
}

std::optional<std::string> FieldReader::string(std::string_view key) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  return read_string(*value, field_path(key), m_diagnostics);
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  return read_bool(*value, field_path(key), m_diagnostics);
}

std::optional<int64_t> FieldReader::integer(std::string_view key, int64_t min, int64_t max) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  return read_integer(*value, field_path(key), min, max, m_diagnostics);
}

std::optional<uint32_t> FieldReader::mode(std::string_view key) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  auto text = read_string(*value, field_path(key), m_diagnostics);
  if (!text) return std::nullopt;
  bool octal = !text->empty() && text->size() <= 4 &&
               std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal) {
    error(*value, key, "expected an octal file mode such as \"0644\", got '" + *text + "'");
    return std::nullopt;
  }
  return static_cast<uint32_t>(std::stoul(*text, nullptr, 8));
}

std::optional<std::vector<std::string>> FieldReader::strings(std::string_view key) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  return read_strings(*value, field_path(key), m_diagnostics);
}

std::optional<std::string> FieldReader::checked(std::string_view key, Check check) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  auto text = read_string(*value, field_path(key), m_diagnostics);
  if (!text) return std::nullopt;
  std::string problem = check(*text);
  if (!problem.empty()) {
    error(*value, key, "expected " + problem + ", got '" + *text + "'");
    return std::nullopt;
  }
  return text;
}

std::optional<std::vector<std::string>> FieldReader::checked_list(std::string_view key,
                                                                  Check check) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  auto list = read_strings(*value, field_path(key), m_diagnostics);
  if (!list) return std::nullopt;
  bool ok = true;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string problem = check((*list)[i]);
    if (!problem.empty()) {
      m_diagnostics.error(value->items()[i].location(),
                          field_path(key) + ": expected " + problem + ", got '" + (*list)[i] + "'");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return list;
}

std::optional<std::string> FieldReader::choice(std::string_view key,
                                               const std::vector<std::string>& choices) {
  const YamlNode* value = get(key);
  if (value == nullptr) return std::nullopt;
  auto text = read_string(*value, field_path(key), m_diagnostics);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) == choices.end()) {
    error(*value, key, "expected one of " + join(choices, ", ") + ", got '" + *text + "'");
    return std::nullopt;
  }
  return text;
}

bool FieldReader::absent() {
  auto state = choice("state", {"present", "absent"});
  return state && *state == "absent";
}

void FieldReader::error(const YamlNode& node, std::string_view key, const std::string& message) {
  m_diagnostics.error(node.location(), field_path(key) + ": " + message);
}

void FieldReader::finish() {
  if (!m_node.is_map()) return;
  for (const auto& [key, value] : m_node.entries()) {
    if (std::find(m_known.begin(), m_known.end(), key.text()) != m_known.end()) continue;
    std::string message = "unknown key '" + key.text() + "'";
    if (!m_path.empty()) message += " in " + m_path;
    std::string suggestion = closest_match(key.text(), m_known);
    if (!suggestion.empty()) {
      message += "; did you mean '" + suggestion + "'?";
    } else {
      std::vector<std::string> sorted = m_known;
      std::sort(sorted.begin(), sorted.end());
      message += " (expected one of: " + join(sorted, ", ") + ")";
    }
    m_diagnostics.error(key.location(), message);
  }
}

std::optional<std::string> read_string(const YamlNode& node, const std::string& what,
                                       Diagnostics& diagnostics) {
  if (!node.is_scalar()) {
    diagnostics.error(node.location(), what + ": expected a string, got " + describe_value(node));
    return std::nullopt;
  }
  return node.text();
}

std::optional<bool> read_bool(const YamlNode& node, const std::string& what,
                              Diagnostics& diagnostics) {
  if (node.is_scalar() && !node.quoted()) {
    static const std::vector<std::string> yes = {"true", "True", "TRUE", "yes", "Yes", "on"};
    static const std::vector<std::string> no = {"false", "False", "FALSE", "no", "No", "off"};
    if (std::find(yes.begin(), yes.end(), node.text()) != yes.end()) return true;
    if (std::find(no.begin(), no.end(), node.text()) != no.end()) return false;
  }
  diagnostics.error(node.location(), what + ": expected true or false, got " +
                                         (node.quoted() ? "the quoted string " : "") +
                                         describe_value(node));
  return std::nullopt;
}

std::optional<int64_t> read_integer(const YamlNode& node, const std::string& what, int64_t min,
                                    int64_t max, Diagnostics& diagnostics) {
  std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!node.is_scalar()) {
    diagnostics.error(node.location(),
                      what + ": expected " + range + ", got " + describe_value(node));
    return std::nullopt;
  }
  const std::string& text = node.text();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    diagnostics.error(node.location(), what + ": expected " + range + ", got '" + text + "'");
    return std::nullopt;
  }
  if (value < min || value > max) {
    diagnostics.error(node.location(),
                      what + ": " + text + " is out of range (expected " + range + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> read_strings(const YamlNode& node, const std::string& what,
                                                     Diagnostics& diagnostics) {
  if (!node.is_sequence()) {
    diagnostics.error(node.location(),
                      what + ": expected a list of strings, got " + describe_value(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < node.items().size(); ++i) {
    auto item = read_string(node.items()[i], what + "[" + std::to_string(i) + "]", diagnostics);
    if (item) {
      out.push_back(*item);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<int64_t> parse_duration_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t multiplier = 1;
  char unit = text.back();
  if (unit == 's' || unit == 'm' || unit == 'h' || unit == 'd') {
    multiplier = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400;
    text.remove_suffix(1);
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value < 0 ||
      value > 100 * 365 * 86400LL / multiplier) {
    return std::nullopt;
  }
  return value * multiplier;
}

}  // namespace reconcile::state
