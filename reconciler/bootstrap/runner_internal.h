#pragma once

// Inside the bootstrap runner (runner.h): the object that walks the steps,
// shared by runner.cc (the walk, waiting for SSH, the summary) and
// runner_steps.cc (what each step does on the machine). Not a public header.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "disk-layouts/plan.h"
#include "reconciler/bootstrap/host_keys.h"
#include "reconciler/bootstrap/identity.h"
#include "reconciler/bootstrap/runner.h"

namespace reconcile::bootstrap {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);
std::string seconds_text(double seconds);                       // "12.3 s"
std::string last_lines(const std::string& text, size_t count);  // for error messages
std::string fingerprint(const std::string& public_line);        // "ED25519 SHA256:..."
asio::awaitable<void> sleep_for(std::chrono::milliseconds duration);

class Bootstrap {
 public:
  Bootstrap(const state::Host& host, const disk::DiskLayout& layout,
            const BootstrapOptions& options, BootstrapEnvironment& environment)
      : m_host(host), m_layout(layout), m_options(options), m_env(environment) {}

  asio::awaitable<BootstrapResult> run();

 private:
  // Steps.
  asio::awaitable<Status> preflight();
  asio::awaitable<Status> prepare_image();
  asio::awaitable<Status> kexec();
  asio::awaitable<Status> prepare();
  asio::awaitable<Status> apply_disk();
  asio::awaitable<Status> install();
  asio::awaitable<Status> configure();
  asio::awaitable<Status> identity();
  asio::awaitable<Status> reboot();
  asio::awaitable<Status> wait();
  asio::awaitable<Status> converge();

  // Helpers.
  asio::awaitable<Result<MachineFacts>> probe();
  Status plan_disk_steps();
  asio::awaitable<Status> run_disk_plan(const disk::DiskPlan& plan);
  asio::awaitable<Result<transport::Output>> run_script(const std::string& what,
                                                        const std::string& script,
                                                        std::string_view input,
                                                        std::chrono::seconds timeout);
  asio::awaitable<Result<std::unique_ptr<transport::Transport>>> wait_for_ssh(
      const std::string& pinned_key, const std::string& what);
  // Runs one step. The work is a member function rather than an awaitable
  // argument: g++ 12 destroys a coroutine's by-value argument twice when it
  // is a temporary inside co_await (GCC PR 99576).
  using StepWork = asio::awaitable<Status> (Bootstrap::*)();
  asio::awaitable<bool> step(StepId id, StepWork work);
  void say(const std::string& line) {
    m_env.log << "bootstrap " << m_host.name << ": " << line << "\n" << std::flush;
  }
  void fail(const std::string& step, const Error& error, const std::string& hint, int code);
  std::string install_id() const;
  std::string target() const {
    return "root@" + m_options.address + ":" + std::to_string(m_options.port);
  }

  const state::Host& m_host;
  const disk::DiskLayout& m_layout;
  const BootstrapOptions& m_options;
  BootstrapEnvironment& m_env;

  std::unique_ptr<transport::Transport> m_transport;
  MachineFacts m_facts;           // of the system the run is on now
  NetworkFacts m_network;         // of the system the run started on (before any kexec)
  std::string m_authorized_keys;  // idem
  Decisions m_decisions;
  disk::DiskPlan m_disk_plan;
  HostIdentity m_identity;
  std::optional<HostKeyPair> m_host_key;
  std::optional<HostKeyPair> m_installer_key;
  BootstrapPlan m_plan;
  BootstrapResult m_result;
};

}  // namespace reconcile::bootstrap
