#include "disk-layouts/yaml_reader.h"

#include <algorithm>

#include "reconciler/base/strings.h"

namespace reconcile::disk {

MapReader::MapReader(const YamlNode& node, std::string what, std::vector<std::string> allowed,
                     Diagnostics& diagnostics)
    : m_node(node), m_what(std::move(what)), m_diagnostics(diagnostics) {
  if (!node.is_map()) {
    diagnostics.error(node.location(),
                      m_what + " must be a map, not " + std::string(node.kind_name()));
    return;
  }
  for (const auto& [key, value] : node.entries()) {
    if (std::find(allowed.begin(), allowed.end(), key.text()) != allowed.end()) continue;
    std::string message = "unknown key '" + key.text() + "' in " + m_what;
    std::string suggestion = closest_match(key.text(), allowed);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
    message += " (allowed: " + join(allowed, ", ") + ")";
    diagnostics.error(key.location(), message);
  }
}

std::optional<std::string> MapReader::scalar(std::string_view key) const {
  const YamlNode* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_scalar()) {
    m_diagnostics.error(value->location(), "'" + std::string(key) + "' in " + m_what +
                                               " must be a plain value, not " +
                                               std::string(value->kind_name()));
    return std::nullopt;
  }
  return value->text();
}

std::optional<std::string> MapReader::required_scalar(std::string_view key) const {
  if (!is_map()) return std::nullopt;
  if (!find(key)) {
    m_diagnostics.error(m_node.location(), m_what + " needs '" + std::string(key) + "'");
    return std::nullopt;
  }
  return scalar(key);
}

std::optional<std::vector<std::string>> MapReader::scalar_list(std::string_view key) const {
  const YamlNode* value = find(key);
  if (!value) return std::nullopt;
  if (!value->is_sequence()) {
    m_diagnostics.error(value->location(), "'" + std::string(key) + "' in " + m_what +
                                               " must be a list, not " +
                                               std::string(value->kind_name()));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const YamlNode& item : value->items()) {
    if (!item.is_scalar() || item.text().empty()) {
      m_diagnostics.error(item.location(), "each entry of '" + std::string(key) + "' in " + m_what +
                                               " must be a non-empty plain value");
      continue;
    }
    out.push_back(item.text());
  }
  return out;
}

std::string unknown_value_message(std::string_view what, std::string_view value,
                                  const std::vector<std::string>& choices) {
  std::string message = "unknown " + std::string(what) + " '" + std::string(value) + "'";
  std::string suggestion = closest_match(value, choices);
  if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
  return message + " (one of: " + join(choices, ", ") + ")";
}

}  // namespace reconcile::disk
