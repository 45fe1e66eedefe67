// What each bootstrap step does on the machine (the walk is in runner.cc).

#include <filesystem>

#include "disk-layouts/planner.h"
#include "modules/probe.h"
#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "reconciler/bootstrap/cpio.h"
#include "reconciler/bootstrap/machine_files.h"
#include "reconciler/bootstrap/runner_internal.h"
#include "reconciler/bootstrap/ticker.h"
#include "reconciler/transport/framing.h"

namespace reconcile::bootstrap {

namespace {

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

}  // namespace

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
    {
      Ticker ticker(m_env.io, std::chrono::seconds(30), [&] {
        say("debootstrap still running (" + seconds_text(seconds_since(start)) + ")");
      });
      CO_TRY_ASSIGN(base, co_await run_script(
                              "debootstrap",
                              debootstrap_base_script(m_decisions.mount_root, m_decisions.image),
                              {}, m_options.install_timeout));
      (void)base;
    }
    auto kernel_start = Clock::now();
    say("debootstrap done in " + seconds_text(seconds_since(start)) +
        "; the kernel and GRUB in a chroot next");
    Ticker ticker(m_env.io, std::chrono::seconds(30), [&] {
      say("kernel and GRUB still installing (" + seconds_text(seconds_since(kernel_start)) + ")");
    });
    CO_TRY_ASSIGN(kernel, co_await run_script("the kernel and GRUB",
                                              debootstrap_kernel_script(m_decisions.mount_root,
                                                                        m_decisions.image, id),
                                              {}, m_options.install_timeout));
    (void)kernel;
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

}  // namespace reconcile::bootstrap
