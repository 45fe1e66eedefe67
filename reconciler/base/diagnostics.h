#pragma once

#include <string>
#include <vector>

namespace reconcile {

// A position in a source file, 1-based. line == 0 means "the whole file".
struct Location {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:column", "file:line" or "file", whichever is known.
  std::string to_string() const;
};

struct Diagnostic {
  Location location;
  std::string message;

  std::string to_string() const { return location.to_string() + ": " + message; }
};

// Collects every problem found in a repository so that one run reports all of
// them, not only the first. Not thread-safe.
class Diagnostics {
 public:
  void error(const Location& location, std::string message) {
    m_items.push_back({location, std::move(message)});
  }
  bool empty() const { return m_items.empty(); }
  size_t size() const { return m_items.size(); }
  const std::vector<Diagnostic>& items() const { return m_items; }

  // Orders by file, line and column, and drops exact duplicates.
  void sort();

 private:
  std::vector<Diagnostic> m_items;
};

}  // namespace reconcile
