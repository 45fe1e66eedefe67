// The quoting function is the only way desired-state values reach a shell, so
// it is checked by running a real /bin/sh: whatever bytes go in must come
// back out unchanged.

#include "reconciler/base/shell.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>

using namespace reconcile;

namespace {

// Runs `printf %s QUOTED` in /bin/sh and returns what it printed.
std::string echo_through_shell(const std::string& value) {
  std::string script = "printf '%s' " + shell_quote(value);
  int out[2];
  REQUIRE(pipe(out) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string result;
  char buffer[65536];
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof buffer)) > 0)
    result.append(buffer, n);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return result;
}

}  // namespace

TEST_CASE("shell_quote wraps in single quotes") {
  CHECK(shell_quote("abc") == "'abc'");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("shell_quote round-trips hostile values through sh") {
  const std::vector<std::string> values = {
      "",        "'",        "''",      "\"",       "$(touch /tmp/pwned)",
      "`id`",    "a\nb\n",   "-rf",     "--help",   "\\",
      "${HOME}", "$0 $1 $@", "a;b|c&d", "*",        "~root",
      "\t \r",   "!event",   "%s%n",    "\x01\x7f", std::string(100000, 'x'),
  };
  for (const auto& value : values)
    CHECK(echo_through_shell(value) == value);
}

TEST_CASE("shell_quote round-trips every byte 0x01-0xFF") {
  std::string all;
  for (int c = 1; c < 256; ++c)
    all += static_cast<char>(c);
  CHECK(echo_through_shell(all) == all);
  for (int c = 1; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    CHECK(echo_through_shell(one) == one);
  }
}

TEST_CASE("shell_quote property: random byte strings round-trip") {
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> byte(1, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int i = 0; i < 200; ++i) {
    std::string value;
    int n = length(rng);
    for (int j = 0; j < n; ++j)
      value += static_cast<char>(byte(rng));
    CHECK(echo_through_shell(value) == value);
  }
}
