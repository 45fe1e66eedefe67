#include "desired-state/template.h"

#include "reconciler/base/strings.h"

namespace reconcile::state {

namespace {

Location location_in(std::string_view text, size_t offset, const std::optional<std::string>& file,
                     const Location& fallback) {
  if (!file) return fallback;
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return Location{*file, line, column};
}

std::optional<std::string> lookup(std::string_view name, const TemplateContext& context) {
  if (name == "host.name") return context.host_name;
  if (name == "host.address") return context.host_address;
  if (starts_with(name, "vars.") && context.vars != nullptr) {
    auto it = context.vars->find(std::string(name.substr(5)));
    if (it != context.vars->end()) return it->second;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> render_template(std::string_view text, const TemplateContext& context,
                                           const std::optional<std::string>& text_file,
                                           const Location& fallback, Diagnostics& diagnostics) {
  std::string out;
  bool ok = true;
  size_t position = 0;
  while (true) {
    size_t open = text.find("{{", position);
    if (open == std::string_view::npos) {
      out.append(text.substr(position));
      break;
    }
    out.append(text.substr(position, open - position));
    size_t close = text.find("}}", open + 2);
    Location where = location_in(text, open, text_file, fallback);
    if (close == std::string_view::npos) {
      diagnostics.error(where, "template tag '{{' is never closed with '}}'");
      return std::nullopt;
    }
    std::string_view name = trim(text.substr(open + 2, close - open - 2));
    if (auto value = lookup(name, context)) {
      out += *value;
    } else {
      std::string message = "unknown template variable '" + std::string(name) + "'";
      message += " (known: host.name, host.address";
      if (context.vars != nullptr) {
        for (const auto& [key, unused] : *context.vars)
          message += ", vars." + key;
      }
      diagnostics.error(where, message + ")");
      ok = false;
    }
    position = close + 2;
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace reconcile::state
