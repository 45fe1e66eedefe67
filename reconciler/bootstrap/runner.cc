// The bootstrap as one object per run: each step is a member coroutine that
// returns a Status, and run() walks them in the plan's order, timing each
// one. State that later steps need (the facts from before a kexec, the new
// host key, the current transport) lives in members, so every step reads as
// what it does on the machine. Failures stop the run at that step with a
// resume hint; nothing is retried except waiting for SSH after a reboot.

#include "reconciler/bootstrap/runner.h"

#include <filesystem>
#include <ostream>

#include "disk-layouts/planner.h"
#include "modules/probe.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "reconciler/bootstrap/cpio.h"
#include "reconciler/bootstrap/host_keys.h"
#include "reconciler/bootstrap/identity.h"
#include "reconciler/bootstrap/machine_files.h"
#include "reconciler/bootstrap/ticker.h"
#include "reconciler/exit_codes.h"
#include "reconciler/transport/framing.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::bootstrap {

namespace {

using Clock = std::chrono::steady_clock;

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

// Several inputs, one after the other (the installer's kernel, its initrd,
// padding and the per-host archive).
class ChainInput : public transport::InputSource {
 public:
  void add(transport::InputSource* part) { m_parts.push_back(part); }
  Result<size_t> read(char* buffer, size_t capacity) override {
    while (m_index < m_parts.size()) {
      auto count = m_parts[m_index]->read(buffer, capacity);
      if (!count || *count > 0) return count;
      ++m_index;
    }
    return size_t{0};
  }

 private:
  std::vector<transport::InputSource*> m_parts;
  size_t m_index = 0;
};

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

asio::awaitable<Status> Bootstrap::preflight() {
  m_transport = m_env.connect(m_options.rescue_host_key);
  Status connected = co_await m_transport->connect();
  if (!connected) {
    co_return std::move(connected).error().with_context("connecting to " + target());
  }
  CO_TRY_ASSIGN(facts, co_await probe());
  m_facts = std::move(facts);
  m_network = m_facts.network;
  m_authorized_keys = m_facts.authorized_keys;
  CO_TRY_ASSIGN(decisions, decide(m_host, m_layout, m_facts, m_options.settings));
  m_decisions = std::move(decisions);
  CO_TRY_STATUS(plan_disk_steps());
  static const secrets::IdentityList kNoIdentities;
  CO_TRY_ASSIGN(identity, find_host_identity(
                              m_env.source, m_host,
                              m_env.identities != nullptr ? *m_env.identities : kNoIdentities));
  m_identity = std::move(identity);
  if (trim(m_authorized_keys).empty()) {
    co_return failed_precondition(
        "root has no ~/.ssh/authorized_keys on the machine, so the new system would accept no "
        "key after the reboot");
  }
  co_return ok();
}

asio::awaitable<Status> Bootstrap::prepare_image() {
  if (m_options.settings.install != InstallMethod::kImage) co_return ok();
  std::string path = image_path(m_options.settings.image_cache, m_decisions.image);
  if (std::filesystem::exists(path)) co_return ok();
  if (m_env.controller == nullptr)
    co_return failed_precondition("no controller shell to build " + path);
  say("building the image " + path + " on the controller (once; it is cached)");
  auto start = Clock::now();
  Ticker ticker(m_env.io, std::chrono::seconds(30), [&] {
    say("still building the image (" + seconds_text(seconds_since(start)) + ")");
  });
  transport::RunOptions run;
  run.timeout = m_options.install_timeout;
  CO_TRY_ASSIGN(
      output, co_await m_env.controller->run(
                  image_build_script(m_options.settings.image_cache, m_decisions.image), {}, run));
  if (output.exit_code != 0) {
    co_return failed_precondition("building the image failed:\n" +
                                  last_lines(output.err + output.out, 20));
  }
  m_result.timings.push_back({"image-build", seconds_since(start)});
  say("image built in " + seconds_text(seconds_since(start)));
  co_return ok();
}

asio::awaitable<Status> Bootstrap::kexec() {
  const std::string& dir = *m_options.settings.kexec_dir;
  CO_TRY_ASSIGN(kernel, FileInput::open(dir + "/vmlinuz"));
  CO_TRY_ASSIGN(initrd, FileInput::open(dir + "/initrd.img"));
  CpioWriter archive;
  archive.add_directory("etc", 0755);
  archive.add_directory("etc/reconcile-installer", 0700);
  archive.add_file("etc/reconcile-installer/network", 0644,
                   installer_network(m_network, m_host.name + "-installer"));
  archive.add_file("etc/reconcile-installer/authorized_keys", 0600, m_authorized_keys);
  archive.add_file("etc/reconcile-installer/ssh_host_ed25519_key", 0600,
                   m_installer_key->private_key.view());
  archive.add_file("etc/reconcile-installer/ssh_host_ed25519_key.pub", 0644,
                   m_installer_key->public_line + "\n");
  secrets::SecureBuffer overlay(cpio_padding(initrd->size()));  // zeros
  secrets::SecureBuffer archive_bytes = archive.finish();
  overlay.append(archive_bytes.data(), archive_bytes.size());
  transport::StringInput overlay_input(overlay.view());
  ChainInput input;
  input.add(kernel.get());
  input.add(initrd.get());
  input.add(&overlay_input);
  std::string script = kexec_script(kernel->size(), initrd->size() + overlay.size(),
                                    "console=tty0 console=ttyS0,115200n8");
  transport::RunOptions run;
  run.timeout = m_options.install_timeout;
  say("uploading the installer (" + human_size(kernel->size() + initrd->size()) + ")");
  CO_TRY_ASSIGN(output, co_await m_transport->run_streamed(script, input, run));
  if (output.exit_code != 0) {
    co_return failed_precondition("loading the installer failed:\n" + last_lines(output.err, 15));
  }
  co_await m_transport->close();
  say("kexec started; waiting for the installer");
  CO_TRY_ASSIGN(installer, co_await wait_for_ssh(m_installer_key->public_line, "the installer"));
  m_transport = std::move(installer);
  CO_TRY_ASSIGN(facts, co_await probe());
  m_facts = std::move(facts);
  BootstrapSettings settings = m_options.settings;
  settings.kexec_dir.reset();
  CO_TRY_ASSIGN(decisions, decide(m_host, m_layout, m_facts, settings));
  m_decisions = std::move(decisions);
  CO_TRY_STATUS(plan_disk_steps());
  CO_TRY_STATUS(disk::check_destructive_allowed(m_disk_plan, m_options.settings.allow_destructive));
  say("installer up; disk plan there:\n" + disk::format_plan(m_disk_plan));
  co_return ok();
}

asio::awaitable<Status> Bootstrap::prepare() {
  CO_TRY_ASSIGN(output,
                co_await run_script("unmounting leftovers", prepare_script(m_decisions.mount_root),
                                    {}, m_options.script_timeout));
  if (!trim(output.out).empty()) say(std::string(trim(output.out)));
  co_return ok();
}

asio::awaitable<Status> Bootstrap::run_disk_plan(const disk::DiskPlan& plan) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const disk::DiskStep& disk_step = plan.steps[i];
    say("  disk " + std::to_string(i + 1) + "/" + std::to_string(plan.steps.size()) + ": " +
        disk_step.description);
    if (disk_step.secret_input) {
      co_return failed_precondition("disk step needs the secret '" + *disk_step.secret_input +
                                    "', which bootstrap cannot deliver");
    }
    CO_TRY_ASSIGN(output, co_await run_script(disk_step.description, disk_step.script, {},
                                              m_options.script_timeout));
    (void)output;
  }
  co_return ok();
}

asio::awaitable<Status> Bootstrap::apply_disk() {
  CO_TRY_STATUS(disk::check_destructive_allowed(m_disk_plan, m_options.settings.allow_destructive));
  co_return co_await run_disk_plan(m_disk_plan);
}

asio::awaitable<Status> Bootstrap::install() {
  std::string id = install_id();
  CO_TRY_ASSIGN(marker, co_await run_script("reading the install marker",
                                            install_marker_script(m_decisions.mount_root), {},
                                            m_options.script_timeout));
  if (trim(marker.out) == id) {
    say("already installed by an earlier run (" + id + "); skipping");
    co_return ok();
  }
  auto start = Clock::now();
  if (m_options.settings.install == InstallMethod::kDebootstrap) {
    Ticker ticker(m_env.io, std::chrono::seconds(30), [&] {
      say("debootstrap still running (" + seconds_text(seconds_since(start)) + ")");
    });
    CO_TRY_ASSIGN(output, co_await run_script(
                              "debootstrap",
                              debootstrap_script(m_decisions.mount_root, m_decisions.image, id), {},
                              m_options.install_timeout));
    (void)output;
    co_return ok();
  }
  std::string path = image_path(m_options.settings.image_cache, m_decisions.image);
  CO_TRY_ASSIGN(image, FileInput::open(path));
  FileInput* source = image.get();
  Ticker ticker(m_env.io, std::chrono::seconds(10), [&, source] {
    say("streamed " + human_size(source->done()) + " of " + human_size(source->size()) + " (" +
        seconds_text(seconds_since(start)) + ")");
  });
  transport::RunOptions run;
  run.timeout = m_options.install_timeout;
  CO_TRY_ASSIGN(output,
                co_await m_transport->run_streamed(
                    image_unpack_script(m_decisions.mount_root, m_decisions.keep_on_unpack, id),
                    *image, run));
  if (output.exit_code != 0) {
    co_return failed_precondition("unpacking the image exited with " +
                                  std::to_string(output.exit_code) + ":\n" +
                                  last_lines(output.err, 15));
  }
  say("streamed " + human_size(image->size()) + " in " + seconds_text(seconds_since(start)));
  co_return ok();
}

asio::awaitable<Status> Bootstrap::configure() {
  // The install replaced <mount_root>/etc/fstab; the disk planner, asked
  // again, plans the layout's entries (by UUID) and nothing else.
  CO_TRY_ASSIGN(probe_output,
                co_await run_script("the disk probe",
                                    "set -u\n" + disk::disk_probe_script(m_decisions.devices,
                                                                         m_decisions.mount_root),
                                    {}, m_options.script_timeout));
  CO_TRY_ASSIGN(disk_facts, disk::parse_disk_facts(probe_output.out));
  disk::DiskTarget target{m_decisions.devices, m_decisions.mount_root};
  CO_TRY_ASSIGN(fstab_plan, disk::plan_disk(m_layout, target, disk_facts));
  if (fstab_plan.has_destructive()) {
    co_return failed_precondition("the disk no longer matches the layout after the install:\n" +
                                  disk::format_plan(fstab_plan));
  }
  CO_TRY_STATUS(co_await run_disk_plan(fstab_plan));

  MachineFiles files;
  files.hostname = m_host.name;
  files.network = m_network;
  files.authorized_keys = m_authorized_keys;
  files.host_key = &*m_host_key;
  FileBundle bundle = machine_files(files);
  CO_TRY_ASSIGN(output, co_await run_script(
                            "configuring the new system",
                            configure_script(m_decisions.mount_root, bundle, m_decisions.boot),
                            bundle.input().view(), m_options.install_timeout));
  (void)output;
  co_return ok();
}

asio::awaitable<Status> Bootstrap::identity() {
  if (!m_identity.age_identity) {
    say("nothing to place: " + m_identity.note);
    co_return ok();
  }
  FileBundle bundle;
  bundle.add("/var/lib/reconcile/host.key", 0600, m_identity.age_identity->view());
  std::string script = "set -eu\numask 022\n" + bundle.script(m_decisions.mount_root) +
                       "chmod 0700 " + shell_quote(m_decisions.mount_root + "/var/lib/reconcile") +
                       "\nsync\n";
  CO_TRY_ASSIGN(output, co_await run_script("placing the age identity", script,
                                            bundle.input().view(), m_options.script_timeout));
  (void)output;
  say(m_identity.note);
  co_return ok();
}

asio::awaitable<Status> Bootstrap::reboot() {
  transport::RunOptions run;
  run.timeout = m_options.script_timeout;
  auto output = co_await m_transport->run(reboot_script(m_decisions.mount_root), {}, run);
  // The connection may die with the old system before the exit status
  // arrives; a failure to unmount is reported as an exit code.
  if (output && output->exit_code != 0) {
    co_return failed_precondition("rebooting failed:\n" + last_lines(output->err, 10));
  }
  co_await m_transport->close();
  m_transport.reset();
  co_return ok();
}

asio::awaitable<Status> Bootstrap::wait() {
  CO_TRY_ASSIGN(transport, co_await wait_for_ssh(m_host_key->public_line, "the new system"));
  CO_TRY_ASSIGN(
      output, co_await [&]() -> asio::awaitable<Result<transport::Output>> {
        transport::RunOptions run;
        run.timeout = m_options.script_timeout;
        co_return co_await transport->run("cat /proc/sys/kernel/hostname; uname -r\n", {}, run);
      }());
  say("the new system answers: " + join(split(std::string(trim(output.out)), '\n'), ", "));
  co_await transport->close();
  co_return ok();
}

asio::awaitable<Status> Bootstrap::converge() {
  state::Host host = m_host;
  host.ssh.host_key = pin_of(m_host_key->public_line);
  host.ssh.user = "root";
  host.ssh.port = m_options.port;
  Status last = ok();
  for (int round = 1; round <= m_options.converge_rounds; ++round) {
    last = co_await m_env.converge(host);
    if (last) co_return ok();
    say("converge round " + std::to_string(round) + ": " + last.error().message());
  }
  co_return last;
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
