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

}  // namespace

std::unique_ptr<Progress> make_progress(const std::vector<std::string>& hosts, bool live,
                                        bool quiet) {
  if (quiet || hosts.empty()) return std::make_unique<QuietProgress>();
  if (live) return std::make_unique<LiveProgress>(hosts);
  return std::make_unique<LineProgress>();
}

}  // namespace reconcile
