#pragma once

// Helpers for transport tests: run a coroutine to completion on a fresh
// io_context, a temporary directory that removes itself, and a shell runner
// for the OpenSSH tools the tests compare against.

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "reconciler/base/shell.h"
#include "reconciler/transport/asio.h"

namespace reconcile::transport::testing {

template <typename T>
asio::awaitable<void> store_result(asio::awaitable<T> work, std::optional<T>& out) {
  out.emplace(co_await std::move(work));
}

// Runs `work` on `io` until everything on it is done; returns its value.
template <typename T>
T run_sync(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  asio::co_spawn(io, store_result(std::move(work), result), asio::detached);
  io.restart();
  io.run();
  REQUIRE(result.has_value());
  return std::move(*result);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "reconcile-test-XXXXXX");
    char* made = mkdtemp(pattern.data());
    REQUIRE(made != nullptr);
    m_path = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  std::string path() const { return m_path; }
  std::string file(const std::string& name) const { return m_path + "/" + name; }

 private:
  std::string m_path;
};

struct ShellResult {
  int status = -1;
  std::string out;
};

// Runs a command line with /bin/sh; stderr goes to the test's stderr.
inline ShellResult shell(const std::string& command) {
  ShellResult result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t count;
  while ((count = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    result.out.append(buffer, count);
  int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Like shell(), but the command must succeed.
inline std::string must_shell(const std::string& command) {
  ShellResult result = shell(command);
  INFO("command: " << command);
  REQUIRE(result.status == 0);
  return result.out;
}

inline std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

inline void write_file(const std::string& path, const std::string& data) {
  std::ofstream file(path, std::ios::binary);
  file << data;
}

// Makes an unencrypted key pair with ssh-keygen: FILE and FILE.pub.
inline void make_key(const std::string& path, const std::string& type,
                     const std::string& passphrase = "") {
  must_shell("ssh-keygen -q -t " + type + " -N " + shell_quote(passphrase) + " -C test -f " +
             shell_quote(path) + " </dev/null");
}

}  // namespace reconcile::transport::testing
