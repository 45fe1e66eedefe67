#include "reconciler/base/diagnostics.h"

#include <algorithm>
#include <tuple>

namespace reconcile {

std::string Location::to_string() const {
  std::string text = file;
  if (line > 0) {
    text += ":" + std::to_string(line);
    if (column > 0) text += ":" + std::to_string(column);
  }
  return text;
}

void Diagnostics::sort() {
  auto key = [](const Diagnostic& d) {
    return std::tie(d.location.file, d.location.line, d.location.column, d.message);
  };
  std::stable_sort(m_items.begin(), m_items.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  m_items.erase(
      std::unique(m_items.begin(), m_items.end(),
                  [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
      m_items.end());
}

}  // namespace reconcile
