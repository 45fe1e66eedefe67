#include "tests/host/disk/local_shell.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace reconcile::disk::testing {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<ShellResult> run_local_shell(const std::string& script, const std::string& input) {
  char tmp_template[] = "/tmp/reconcile-sh.XXXXXX";
  char shm_template[] = "/dev/shm/reconcile-sh.XXXXXX";
  char* dir_template = input.empty() ? tmp_template : shm_template;
  if (!mkdtemp(dir_template)) return system_error("mkdtemp", errno);
  std::string dir = dir_template;
  std::string in = dir + "/script", out = dir + "/out", err = dir + "/err";
  {
    std::ofstream file(in, std::ios::binary);
    file << script << input;
  }
  std::string eval = "eval \"$(head -c " + std::to_string(script.size()) + ")\"";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const char* argv_script[] = {"/bin/sh", "-s", nullptr};
  const char* argv_input[] = {"/bin/sh", "-c", eval.c_str(), nullptr};
  const char** argv = input.empty() ? argv_script : argv_input;
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  ShellResult result;
  if (rc == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_all(out);
    result.err = read_all(err);
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  rmdir(dir.c_str());
  if (rc != 0) return system_error("posix_spawn /bin/sh", rc);
  return result;
}

Result<DiskFacts> probe_local(const DiskTarget& target) {
  ShellResult probe = TRY(run_local_shell(disk_probe_script(target.devices, target.mount_root)));
  if (probe.exit_code != 0) {
    return internal_error("probe failed (" + std::to_string(probe.exit_code) + "): " + probe.err);
  }
  if (std::getenv("RECONCILE_DISK_TRACE") != nullptr) {
    std::fprintf(stderr, "probe output:\n%s\nend of probe output\n", probe.out.c_str());
  }
  return parse_disk_facts(probe.out);
}

Result<DiskPlan> plan_local(const DiskLayout& layout, const DiskTarget& target) {
  DiskFacts facts = TRY(probe_local(target));
  return plan_disk(layout, target, facts);
}

Status apply_local(const DiskPlan& plan, bool allow_destructive,
                   const std::map<std::string, std::string>& secrets) {
  TRY(check_destructive_allowed(plan, allow_destructive));
  for (const DiskStep& step : plan.steps) {
    std::string input;
    if (step.secret_input) {
      auto secret = secrets.find(*step.secret_input);
      if (secret == secrets.end()) return not_found("no secret '" + *step.secret_input + "'");
      input = secret->second;
    }
    // RECONCILE_DISK_TRACE: each step's description and duration on stderr,
    // for following a slow run (the VM test's guest is emulated).
    auto start = std::chrono::steady_clock::now();
    ShellResult result = TRY(run_local_shell(step.script, input));
    if (std::getenv("RECONCILE_DISK_TRACE") != nullptr) {
      std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      std::fprintf(stderr, "step (%.1f s, exit %d): %s\n", took.count(), result.exit_code,
                   step.description.c_str());
    }
    if (result.exit_code != 0) {
      return internal_error("step '" + step.description + "' failed (" +
                            std::to_string(result.exit_code) + "): " + result.err);
    }
  }
  return ok();
}

Result<DiskLayout> load_layout_file(const std::string& path, const std::string& name) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  YamlNode root = TRY(parse_yaml(text.str(), path));
  Diagnostics diagnostics;
  std::optional<DiskLayout> layout = parse_disk_layout(root, name, diagnostics);
  if (!layout) {
    std::string message = "invalid layout " + path + ":";
    for (const Diagnostic& d : diagnostics.items())
      message += "\n  " + d.to_string();
    return invalid_argument(message);
  }
  return *layout;
}

}  // namespace reconcile::disk::testing
