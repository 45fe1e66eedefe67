// Health check scripts. Every attempt runs in a shell function whose output
// (stdout and stderr) is kept; only the last failed attempt's output is
// reported. stdin of an attempt is /dev/null: the script itself arrives on
// the shell's stdin, and a command that read it would eat the script.

#include "reconciler/health.h"

#include "modules/scripts.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"

namespace reconcile {

namespace {

using state::HealthCheck;
using state::HealthKind;

std::string seconds_text(int seconds) {
  return std::to_string(seconds) + "s";
}

// "127.0.0.1:443" or "[::1]:443".
std::string host_port(const HealthCheck& check) {
  bool v6 = check.target.find(':') != std::string::npos;
  return (v6 ? "[" + check.target + "]" : check.target) + ":" + std::to_string(check.port);
}

// `case` pattern and words for the wanted HTTP status.
std::string status_pattern(const HealthCheck& check) {
  return check.expect ? std::to_string(*check.expect) : "2??";
}
std::string status_wanted(const HealthCheck& check) {
  return check.expect ? std::to_string(*check.expect) : "2xx";
}

// Checks the status in $code against the wanted one.
std::string status_test(const HealthCheck& check) {
  return "  case \"$code\" in " + status_pattern(check) +
         ") return 0 ;; esac\n"
         "  printf 'HTTP status %s, want " +
         status_wanted(check) + "\\n' \"${code:-none}\"\n  return 1\n";
}

// After a failed attempt whose status is in $rc: says so when timeout(1)
// ended it.
std::string timed_out(const HealthCheck& check, const std::string& limit) {
  if (limit.empty()) return {};
  return "  [ \"$rc\" = 124 ] && { printf 'timed out after " + seconds_text(check.timeout_seconds) +
         "\\n'; return 1; }\n";
}

std::string http_body(const HealthCheck& check, const std::string& tool, const std::string& limit) {
  std::string timeout = std::to_string(check.timeout_seconds);
  std::string url = shell_quote(check.url);
  if (tool == "curl") {
    return "  code=$(" + limit + "curl -ksSg -o /dev/null -w '%{http_code}' --max-time " + timeout +
           " " + url + ") || { rc=$?; printf 'curl: exit %s\\n' \"$rc\"; return 1; }\n" +
           status_test(check);
  }
  if (tool == "wget") {
    return "  out=$(" + limit + "wget -q -S -O /dev/null -T " + timeout +
           " -t 1 --max-redirect=0 --no-check-certificate " + url +
           " 2>&1) || true\n"
           "  code=$(printf '%s\\n' \"$out\" | awk '{ for (i = 1; i < NF; i++) if ($i ~ "
           "/^HTTP\\/[0-9.]+$/) c = $(i + 1) } END { print c }')\n"
           "  if [ -z \"$code\" ]; then printf '%s\\n' \"$out\" | tail -n 3; return 1; fi\n" +
           status_test(check);
  }
  // bash: a minimal HTTP/1.0 request over /dev/tcp; the status is the second
  // word of the status line.
  std::string request =
      "exec 3<>\"/dev/tcp/$1/$2\" || exit 1; printf \"GET %s HTTP/1.0\\r\\nHost: "
      "%s\\r\\nUser-Agent: reconcile-health\\r\\nConnection: close\\r\\n\\r\\n\" \"$3\" \"$4\" "
      ">&3; "
      "read -r proto status rest <&3; printf \"%s\\n\" \"$status\"";
  return "  code=$(" + limit + "bash -c " + shell_quote(request) + " bash " +
         shell_quote(check.target) + " " + std::to_string(check.port) + " " +
         shell_quote(check.path) + " " + shell_quote(host_port(check)) +
         ") || { printf 'no HTTP answer from %s\\n' " + shell_quote(host_port(check)) +
         "; return 1; }\n" + status_test(check);
}

std::string tcp_body(const HealthCheck& check, const std::string& tool, const std::string& limit) {
  std::string host = shell_quote(check.target);
  std::string port = std::to_string(check.port);
  std::string timeout = std::to_string(check.timeout_seconds);
  std::string connect;
  if (tool == "bash") {
    connect = limit + "bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' bash " + host + " " + port;
  } else if (tool == "nc") {
    connect = limit + "nc -z -w " + timeout + " " + host + " " + port;
  } else {
    connect = limit +
              "python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], "
              "int(sys.argv[2])), float(sys.argv[3])).close()' " +
              host + " " + port + " " + timeout;
  }
  return "  rc=0\n  " + connect + " || rc=$?\n  [ \"$rc\" = 0 ] && return 0\n" +
         timed_out(check, limit) + "  printf 'cannot connect to %s\\n' " +
         shell_quote(host_port(check)) + "\n  return 1\n";
}

std::string command_body(const HealthCheck& check, const std::string& limit) {
  return "  rc=0\n  " + limit + "sh -c " + shell_quote(check.command) +
         " || rc=$?\n"
         "  [ \"$rc\" = 0 ] && return 0\n" +
         timed_out(check, limit) + "  printf 'exit %s\\n' \"$rc\"\n  return 1\n";
}

}  // namespace

std::string health_tool(const HealthCheck& check, const modules::SystemFacts& system) {
  auto has = [&](const char* tool) { return system.tools.count(tool) != 0; };
  switch (check.kind) {
    case HealthKind::kCommand:
      return "sh";
    case HealthKind::kHttp:
      for (const char* tool : {"curl", "wget"}) {
        if (has(tool)) return tool;
      }
      return !check.https && has("bash") ? "bash" : "";
    case HealthKind::kTcp:
      for (const char* tool : {"bash", "nc", "python3"}) {
        if (has(tool)) return tool;
      }
      return "";
  }
  return "";
}

std::string missing_tool_message(const HealthCheck& check) {
  if (check.kind == HealthKind::kHttp) {
    return check.https ? "the host has neither curl nor wget for an https check"
                       : "the host has none of curl, wget or bash for an http check";
  }
  return "the host has none of bash, nc or python3 for a tcp check";
}

std::string describe_check(const HealthCheck& check) {
  switch (check.kind) {
    case HealthKind::kCommand:
      return "command: " + check.command;
    case HealthKind::kHttp:
      return "http: " + check.url + " (expect " + status_wanted(check) + ")";
    case HealthKind::kTcp:
      return "tcp: " + host_port(check);
  }
  return "";
}

std::string describe_timing(const HealthCheck& check) {
  int attempts = check.retries + 1;
  std::string text = "timeout " + seconds_text(check.timeout_seconds) + ", " +
                     std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s");
  if (attempts > 1) text += " " + seconds_text(check.interval_seconds) + " apart";
  return text;
}

std::string health_script(const HealthCheck& check, const std::string& tool,
                          bool has_timeout_command) {
  std::string limit =
      has_timeout_command ? "timeout -k 2 " + std::to_string(check.timeout_seconds) + " " : "";
  std::string body = check.kind == HealthKind::kCommand ? command_body(check, limit)
                     : check.kind == HealthKind::kHttp  ? http_body(check, tool, limit)
                                                        : tcp_body(check, tool, limit);
  return "attempt() {\n" + body +
         "}\n"
         "n=0\n"
         "while :; do\n"
         "  n=$((n + 1))\n"
         "  if out=$(attempt 2>&1 </dev/null); then\n"
         "    printf 'reconcile-health passed %s\\n' \"$n\"\n"
         "    exit 0\n"
         "  fi\n"
         "  if [ \"$n\" -gt " +
         std::to_string(check.retries) +
         " ]; then\n"
         "    printf 'reconcile-health failed %s\\n' \"$n\"\n"
         "    printf '%s\\n' \"$out\" | tail -n 10\n"
         "    exit 1\n"
         "  fi\n"
         "  sleep " +
         std::to_string(check.interval_seconds) +
         "\n"
         "done\n";
}

std::chrono::milliseconds health_deadline(const HealthCheck& check) {
  int attempts = check.retries + 1;
  int seconds = attempts * (check.timeout_seconds + 3) + check.retries * check.interval_seconds;
  return std::chrono::seconds(seconds + 15);
}

void read_health_output(const Result<transport::Output>& output, HealthResult& result) {
  if (!output) {
    result.message = output.error().message();
    return;
  }
  std::vector<std::string> detail;
  bool marker = false;
  for (const auto& line : lines_of(output->out)) {
    auto words = words_of(line);
    if (words.size() == 3 && words[0] == "reconcile-health") {
      marker = true;
      result.passed = words[1] == "passed";
      result.attempts = std::atoi(words[2].c_str());
      continue;
    }
    if (marker && !trim(line).empty()) detail.push_back(std::string(trim(line)));
  }
  result.passed = result.passed && output->exit_code == 0;
  if (result.passed) return;
  if (!marker) {
    std::string err(trim(output->err));
    result.message = "the check script exited with " + std::to_string(output->exit_code) +
                     (err.empty() ? "" : ": " + err);
    return;
  }
  result.message = std::to_string(result.attempts) + " attempt" +
                   (result.attempts == 1 ? "" : "s") + " failed" +
                   (detail.empty() ? "" : "; last: " + join(detail, "; "));
}

asio::awaitable<void> run_health_checks(const state::Host& host, transport::Transport& transport,
                                        Progress& progress, HostReport& report) {
  const modules::SystemFacts& system = report.facts.system;
  for (size_t i = 0; i < host.health.size(); ++i) {
    const HealthCheck& check = host.health[i];
    HealthResult result;
    result.check = describe_check(check);
    result.tool = health_tool(check, system);
    progress.step(host.name, "health check " + std::to_string(i + 1) + " of " +
                                 std::to_string(host.health.size()) + ": " + result.check);
    if (result.tool.empty()) {
      result.message = missing_tool_message(check);
    } else {
      std::string script = modules::script_preamble() +
                           health_script(check, result.tool, system.tools.count("timeout") != 0);
      transport::RunOptions limits;
      limits.timeout = health_deadline(check);
      limits.max_output = 64 * 1024;
      ++report.round_trips;
      auto start = std::chrono::steady_clock::now();
      auto output = co_await transport.run(script, {}, limits);
      result.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      read_health_output(output, result);
    }
    report.health.push_back(result);
    if (!result.passed) {
      report.status = HostStatus::kFailed;
      report.error = "health check failed: " + result.check + ": " + result.message;
      co_return;
    }
  }
}

}  // namespace reconcile
