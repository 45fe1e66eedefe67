// The bootstrap as one object per run: each step is a member coroutine that
// returns a Status, and run() walks them in the plan's order, timing each
// one. State that later steps need (the facts from before a kexec, the new
// host key, the current transport) lives in members, so every step reads as
// what it does on the machine (runner_steps.cc). Failures stop the run at
// that step with a resume hint; nothing is retried except waiting for SSH
// after a kexec or a reboot.

#include "reconciler/bootstrap/runner.h"

#include <filesystem>
#include <ostream>

#include "disk-layouts/planner.h"
#include "modules/probe.h"
#include "reconciler/base/strings.h"
#include "reconciler/bootstrap/runner_internal.h"
#include "reconciler/bootstrap/ticker.h"
#include "reconciler/exit_codes.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::bootstrap {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", seconds);
  return text;
}

std::string last_lines(const std::string& text, size_t count) {
  std::vector<std::string> lines;
  for (const auto& line : split(std::string(trim(text)), '\n'))
    lines.push_back(line);
  if (lines.size() > count) lines.erase(lines.begin(), lines.end() - static_cast<long>(count));
  return join(lines, "\n");
}

std::string fingerprint(const std::string& public_line) {
  auto key = transport::parse_public_key(public_line);
  if (!key) return "(unparsable key)";
  return transport::key_type_label(key->type) + " " + transport::fingerprint_sha256(key->blob);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

namespace {

const char* resume_hint(StepId id) {
  switch (id) {
    case StepId::kKexec:
      return "check the machine's console. If the installer came up, run the same command "
             "again without --kexec and with --rescue-host-key set to the installer key shown "
             "in the plan; otherwise reboot the machine and run the same command again.";
    case StepId::kReboot:
    case StepId::kWait:
      return "the new system is installed. Check its console; once it answers SSH, record "
             "its host key (below) and finish with: ";
    case StepId::kConverge:
      return "the new system is up and verified. Record its host key (below), fix the "
             "cause, and finish with: ";
    default:
      return "fix the cause and run the same command again. Finished work is found and "
             "kept: a disk that matches the layout gets no destructive step, and an install "
             "marker under /mnt skips the install.";
  }
}

}  // namespace

void Bootstrap::fail(const std::string& step, const Error& error, const std::string& hint,
                     int code) {
  m_result.failed_step = step;
  m_result.error = error.message();
  m_result.exit_code = worst_exit_code(m_result.exit_code, code);
  m_env.log << "bootstrap " << m_host.name << ": FAILED at step '" << step
            << "': " << error.message() << "\n";
  if (!hint.empty()) m_env.log << "  to resume: " << hint << "\n";
  m_env.log << std::flush;
}

std::string Bootstrap::install_id() const {
  if (m_options.settings.install == InstallMethod::kImage) return image_name(m_decisions.image);
  return "debootstrap-" + m_decisions.image.release + "-" + m_decisions.image.arch;
}

asio::awaitable<bool> Bootstrap::step(StepId id, StepWork work) {
  size_t number = 0;
  std::string summary;
  for (size_t i = 0; i < m_plan.steps.size(); ++i) {
    if (m_plan.steps[i].id == id) {
      number = i + 1;
      summary = m_plan.steps[i].summary;
    }
  }
  std::string name = step_name(id);
  say("[" + std::to_string(number) + "/" + std::to_string(m_plan.steps.size()) + "] " + name +
      ": " + summary);
  auto start = Clock::now();
  // Long steps say they are alive; install and wait report their own progress.
  std::optional<Ticker> ticker;
  if (id != StepId::kInstall && id != StepId::kWait) {
    ticker.emplace(m_env.io, std::chrono::seconds(30), [this, name, start] {
      say(name + ": still running (" + seconds_text(seconds_since(start)) + ")");
    });
  }
  Status status = co_await (this->*work)();
  ticker.reset();
  double seconds = seconds_since(start);
  m_result.timings.push_back({name, seconds});
  if (!status) {
    std::string hint = resume_hint(id);
    if (id == StepId::kReboot || id == StepId::kWait || id == StepId::kConverge) {
      hint += m_options.reconcile_command;
    }
    fail(name, status.error(), hint, kExitApplyFailed);
    co_return false;
  }
  say("[" + std::to_string(number) + "/" + std::to_string(m_plan.steps.size()) + "] " + name +
      ": done in " + seconds_text(seconds));
  co_return true;
}

asio::awaitable<Result<transport::Output>> Bootstrap::run_script(const std::string& what,
                                                                 const std::string& script,
                                                                 std::string_view input,
                                                                 std::chrono::seconds timeout) {
  transport::RunOptions run;
  run.timeout = timeout;
  CO_TRY_ASSIGN(output, co_await m_transport->run(script, input, run));
  if (output.exit_code != 0) {
    std::string detail = last_lines(output.err.empty() ? output.out : output.err, 15);
    co_return failed_precondition(what + " exited with " + std::to_string(output.exit_code) +
                                  (detail.empty() ? "" : ":\n" + detail));
  }
  co_return output;
}

asio::awaitable<Result<MachineFacts>> Bootstrap::probe() {
  std::vector<modules::ProbeFragment> fragments = preflight_fragments(m_host.disk->devices);
  std::string nonce = modules::make_nonce();
  CO_TRY_ASSIGN(output, co_await run_script("the preflight probe",
                                            "set -u\n" + modules::compose_probe(fragments, nonce),
                                            {}, m_options.script_timeout));
  CO_TRY_ASSIGN(sections, modules::split_probe(output.out, nonce, fragments));
  co_return parse_preflight(sections);
}

Status Bootstrap::plan_disk_steps() {
  disk::DiskTarget target{m_decisions.devices, m_decisions.mount_root};
  m_disk_plan = TRY_CONTEXT(
      "disk plan", disk::plan_disk(m_layout, target, planning_facts(m_facts, m_decisions)));
  return ok();
}

asio::awaitable<Result<std::unique_ptr<transport::Transport>>> Bootstrap::wait_for_ssh(
    const std::string& pinned_key, const std::string& what) {
  auto start = Clock::now();
  auto deadline = start + m_options.boot_timeout;
  auto next_report = start + std::chrono::seconds(15);
  std::string last_error = "not tried";
  while (true) {
    auto transport = m_env.connect(pinned_key);
    Status connected = co_await transport->connect();
    if (connected) {
      say(what + " answers SSH with the pinned key after " + seconds_text(seconds_since(start)));
      co_return std::move(transport);
    }
    last_error = connected.error().message();
    co_await transport->close();
    if (Clock::now() >= deadline) {
      co_return deadline_exceeded(what + " did not answer SSH with the pinned host key (" +
                                  fingerprint(pinned_key) + ") within " +
                                  std::to_string(m_options.boot_timeout.count()) +
                                  " s; last error: " + last_error);
    }
    if (Clock::now() >= next_report) {
      say("waiting for " + what + " (" + seconds_text(seconds_since(start)) + "): " + last_error);
      next_report = Clock::now() + std::chrono::seconds(15);
    }
    co_await sleep_for(m_options.retry_interval);
  }
}

asio::awaitable<BootstrapResult> Bootstrap::run() {
  auto start = Clock::now();
  say("preflight: connecting to " + target());
  Status checked = co_await preflight();
  m_result.timings.push_back({"preflight", seconds_since(start)});
  if (!checked) {
    bool unreachable = checked.error().code() == ErrorCode::kUnavailable ||
                       checked.error().code() == ErrorCode::kDeadlineExceeded ||
                       checked.error().code() == ErrorCode::kUnauthenticated;
    bool invalid = checked.error().code() == ErrorCode::kInvalidArgument;
    fail("preflight", checked.error(),
         invalid ? "" : "nothing was changed on the machine; fix the cause and run it again.",
         unreachable ? kExitUnreachable
         : invalid   ? kExitInvalidInput
                     : kExitApplyFailed);
    if (m_transport) co_await m_transport->close();
    co_return m_result;
  }

  // Keys are decided before the plan is shown, so that it names them.
  std::string host_key_text;
  if (m_options.host_key_file) {
    auto loaded = load_host_key(*m_options.host_key_file);
    if (!loaded) {
      fail("preflight", loaded.error(), "", kExitInvalidInput);
      co_await m_transport->close();
      co_return m_result;
    }
    m_host_key = std::move(*loaded);
    host_key_text =
        "from " + *m_options.host_key_file + ", " + fingerprint(m_host_key->public_line);
  } else if (!m_options.dry_run) {
    m_host_key = MUST(generate_host_key("root@" + m_host.name));
    host_key_text = "generated on the controller, " + fingerprint(m_host_key->public_line);
  } else {
    host_key_text = "a new ed25519 key generated on the controller";
  }
  std::string installer_text = "generated on the controller at run time";
  if (m_decisions.kexec && !m_options.dry_run) {
    m_installer_key = MUST(generate_host_key("root@" + m_host.name + "-installer"));
    installer_text = m_installer_key->public_line;
  }
  if (m_host_key) m_result.host_key_line = m_host_key->public_line;

  std::string image_state;
  if (m_options.settings.install == InstallMethod::kImage) {
    std::string path = image_path(m_options.settings.image_cache, m_decisions.image);
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    image_state = error ? "to be built on the controller: " + path
                        : "cached: " + path + " (" + human_size(size) + ")";
  }
  PlanContext context{m_host,
                      m_facts,
                      m_decisions,
                      m_options.settings,
                      m_disk_plan,
                      target(),
                      image_state,
                      host_key_text,
                      installer_text,
                      m_identity.note,
                      static_cast<int>(m_options.boot_timeout.count())};
  m_plan = make_plan(context);
  m_env.out << format_bootstrap_plan(m_plan, m_options.settings.allow_destructive) << std::flush;
  if (m_options.dry_run) {
    m_result.exit_code = kExitChangesPending;
    co_await m_transport->close();
    co_return m_result;
  }
  Status allowed =
      disk::check_destructive_allowed(m_disk_plan, m_options.settings.allow_destructive);
  if (!allowed) {
    fail("disk", allowed.error(), "nothing was changed; run again with --allow-destructive",
         kExitApplyFailed);
    co_await m_transport->close();
    co_return m_result;
  }
  Status image_ready = co_await prepare_image();
  if (!image_ready) {
    fail("install", image_ready.error(),
         "nothing was changed on the machine; fix the cause and run it again.", kExitApplyFailed);
    co_await m_transport->close();
    co_return m_result;
  }

  bool done = true;
  if (m_decisions.kexec) done = co_await step(StepId::kKexec, &Bootstrap::kexec);
  if (done) done = co_await step(StepId::kPrepare, &Bootstrap::prepare);
  if (done) done = co_await step(StepId::kDisk, &Bootstrap::apply_disk);
  if (done) done = co_await step(StepId::kInstall, &Bootstrap::install);
  if (done) done = co_await step(StepId::kConfigure, &Bootstrap::configure);
  if (done) done = co_await step(StepId::kIdentity, &Bootstrap::identity);
  if (done) done = co_await step(StepId::kReboot, &Bootstrap::reboot);
  if (done) done = co_await step(StepId::kWait, &Bootstrap::wait);
  if (done) done = co_await step(StepId::kConverge, &Bootstrap::converge);
  if (m_transport) co_await m_transport->close();

  double total = seconds_since(start);
  m_result.timings.push_back({"total", total});
  if (done) say("converged; bootstrap finished in " + seconds_text(total));
  m_env.out << "\nstep durations:\n";
  for (const auto& timing : m_result.timings) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-12s %8.1f s\n", timing.step.c_str(), timing.seconds);
    m_env.out << line;
  }
  if (m_host_key) {
    std::string pin = pin_of(m_host_key->public_line);
    m_env.out << "\nThe new SSH host key of " << m_host.name << " (pinned for this run):\n  " << pin
              << "\nRecord it in " << m_host.file
              << " so that later runs verify it:\n  ssh: { host_key: \"" << pin << "\" }\n";
    if (m_host.ssh.host_key && pin_of(*m_host.ssh.host_key) != pin) {
      m_env.out << "(" << m_host.file << " pins another key now, "
                << fingerprint(*m_host.ssh.host_key) << "; replace it)\n";
    }
  }
  m_env.out << std::flush;
  co_return m_result;
}

asio::awaitable<BootstrapResult> run_bootstrap(const state::Host& host,
                                               const disk::DiskLayout& layout,
                                               const BootstrapOptions& options,
                                               BootstrapEnvironment& environment) {
  Bootstrap bootstrap(host, layout, options, environment);
  co_return co_await bootstrap.run();
}

}  // namespace reconcile::bootstrap
