#include "reconciler/progress.h"

#include <chrono>
#include <cstdio>
#include <map>

namespace reconcile {

namespace {

class QuietProgress final : public Progress {
 public:
  void step(const std::string&, const std::string&) override {}
  void done(const std::string&, const std::string&) override {}
};

class LineProgress final : public Progress {
 public:
  void step(const std::string& host, const std::string& what) override {
    std::fprintf(stderr, "%s: %s\n", host.c_str(), what.c_str());
  }
  void done(const std::string& host, const std::string& what) override { step(host, what); }
};

// Redraws one line per host in place with ANSI cursor movement, at most
// every 50 ms (and always on a final state), so a hundred hosts do not flood
// the terminal.
class LiveProgress final : public Progress {
 public:
  explicit LiveProgress(const std::vector<std::string>& hosts) : m_hosts(hosts) {
    for (const auto& host : hosts) {
      m_width = std::max(m_width, host.size());
      m_state[host] = "waiting";
    }
    draw(true);
  }

  void step(const std::string& host, const std::string& what) override {
    m_state[host] = what;
    draw(false);
  }
  void done(const std::string& host, const std::string& what) override {
    m_state[host] = what;
    draw(true);
  }
  void close() override { draw(true); }

 private:
  void draw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - m_last < std::chrono::milliseconds(50)) return;
    m_last = now;
    if (m_drawn) std::fprintf(stderr, "\033[%zuA", m_hosts.size());
    for (const auto& host : m_hosts) {
      std::fprintf(stderr, "\033[2K%-*s  %s\n", static_cast<int>(m_width), host.c_str(),
                   m_state[host].c_str());
    }
    std::fflush(stderr);
    m_drawn = true;
  }

  std::vector<std::string> m_hosts;
  std::map<std::string, std::string> m_state;
  size_t m_width = 0;
  bool m_drawn = false;
  std::chrono::steady_clock::time_point m_last;
};

// For more hosts than fit on a screen: one line, redrawn in place, counting
// the hosts that are done and naming a few in flight.
class CountingProgress final : public Progress {
 public:
  explicit CountingProgress(size_t total) : m_total(total) {}

  void step(const std::string& host, const std::string& what) override {
    m_active[host] = what;
    draw(false);
  }
  void done(const std::string& host, const std::string& what) override {
    m_active.erase(host);
    ++m_done;
    if (what.rfind("converged", 0) != 0 && what.rfind("changes_pending", 0) != 0) {
      ++m_problems;
      std::fprintf(stderr, "\r\033[2K%s: %s\n", host.c_str(), what.c_str());
    }
    draw(true);
  }
  void close() override { std::fprintf(stderr, "\n"); }

 private:
  void draw(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!force && now - m_last < std::chrono::milliseconds(100)) return;
    m_last = now;
    std::string active;
    int shown = 0;
    for (const auto& [host, what] : m_active) {
      if (shown++ == 3) break;
      active += " " + host;
    }
    std::fprintf(stderr, "\r\033[2K%zu of %zu hosts done, %zu with problems; working on%s", m_done,
                 m_total, m_problems, active.empty() ? " nothing" : active.c_str());
    std::fflush(stderr);
  }

  size_t m_total;
  size_t m_done = 0;
  size_t m_problems = 0;
  std::map<std::string, std::string> m_active;
  std::chrono::steady_clock::time_point m_last;
};

}  // namespace

std::unique_ptr<Progress> make_progress(const std::vector<std::string>& hosts, bool live,
                                        bool quiet) {
  if (quiet || hosts.empty()) return std::make_unique<QuietProgress>();
  if (live && hosts.size() > 30) return std::make_unique<CountingProgress>(hosts.size());
  if (live) return std::make_unique<LiveProgress>(hosts);
  return std::make_unique<LineProgress>();
}

}  // namespace reconcile
