#pragma once

// Throwaway directories, git repositories and ssh-keygen keys for the
// daemon's unit tests. Everything lives under a fresh /tmp directory that is
// removed when the fixture goes out of scope, also when a check fails.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "reconciler/base/result.h"

namespace reconcile::daemon::testing {

namespace fs = std::filesystem;

// The value of a Result that must succeed for the test to go on (usable in
// member initialisers, where MUST's statement expression is not).
template <typename T>
T must(Result<T> result) {
  if (!result.has_value()) FAIL(result.error().message());
  return result.release_value();
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/reconcile-daemon-test-XXXXXX";
    m_path = mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return m_path; }
  std::string operator/(const std::string& name) const { return (m_path / name).string(); }

  void write(const std::string& name, const std::string& text) const {
    fs::create_directories((m_path / name).parent_path());
    std::ofstream(m_path / name, std::ios::binary) << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(m_path / name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  fs::path m_path;
};

// Runs a shell command; returns its exit status (output discarded).
inline int shell(const std::string& command) {
  std::string quiet = "(" + command + ") >/dev/null 2>&1";
  int status = std::system(quiet.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs a shell command and returns its standard output.
inline std::string shell_output(const std::string& command) {
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char chunk[4096];
  size_t count = 0;
  while ((count = fread(chunk, 1, sizeof chunk, pipe)) > 0)
    output.append(chunk, count);
  pclose(pipe);
  return output;
}

inline std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

// A work tree plus ssh-keygen keys to sign its commits with, as
// `git commit -S` does with gpg.format=ssh.
class SignedRepo {
 public:
  SignedRepo() {
    shell("git init -q -b main " + m_dir / "work");
    make_key("alice");
    make_key("mallory");
  }

  const TempDir& dir() const { return m_dir; }
  std::string work() const { return m_dir / "work"; }
  std::string key(const std::string& name) const { return m_dir / ("keys/" + name); }
  std::string public_key(const std::string& name) const {
    return trimmed(m_dir.read("keys/" + name + ".pub"));
  }

  void write(const std::string& path, const std::string& text) const {
    m_dir.write("work/" + path, text);
  }

  // Commits everything; `signer` empty: unsigned. Returns the commit id.
  std::string commit(const std::string& message, const std::string& signer = "") const {
    std::string sign = signer.empty() ? " -c commit.gpgsign=false commit -q"
                                      : " -c gpg.format=ssh -c user.signingkey=" + key(signer) +
                                            ".pub commit -q -S";
    shell(git() + " add -A");
    shell(git() + sign + " --allow-empty -m '" + message + "'");
    return head();
  }

  std::string head() const { return trimmed(shell_output(git() + " rev-parse HEAD")); }

  std::string git() const {
    return "git -C " + work() + " -c user.name=test -c user.email=test@example.org";
  }

 private:
  void make_key(const std::string& name) {
    std::filesystem::create_directories(m_dir.path() / "keys");
    shell("ssh-keygen -q -t ed25519 -N '' -C " + name + "@example.org -f " + key(name));
  }

  TempDir m_dir;
};

}  // namespace reconcile::daemon::testing
