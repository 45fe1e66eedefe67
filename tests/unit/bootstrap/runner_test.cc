// The whole bootstrap against fake transports: which scripts run in which
// order, what is pinned where, what a dry run leaves alone, and what a
// failed step says.

#include "reconciler/bootstrap/runner.h"

#include <doctest/doctest.h>

#include <sstream>

#include "reconciler/bootstrap/host_keys.h"
#include "reconciler/exit_codes.h"
#include "tests/unit/bootstrap/bootstrap_test_util.h"
#include "tests/unit/bootstrap/scripted_transport.h"
#include "tests/unit/transport/test_util.h"

using namespace reconcile;
using namespace reconcile::bootstrap;
using reconcile::bootstrap::testing::CannedMachine;
using reconcile::bootstrap::testing::example_layout;
using reconcile::bootstrap::testing::read_source;
using reconcile::bootstrap::testing::ScriptedCall;
using reconcile::bootstrap::testing::ScriptedTransport;
using reconcile::bootstrap::testing::vps_host;
using reconcile::transport::testing::run_sync;
using reconcile::transport::testing::TempDir;
using reconcile::transport::testing::write_file;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A machine behind fake transports: every connection (rescue, installer,
// new system) shares one log of calls and one responder.
struct FakeMachine {
  CannedMachine machine;
  std::vector<ScriptedCall> calls;
  std::vector<std::string> pinned;   // the key each connection verified
  int refuse_connections = 0;        // the next N connections fail (booting)
  std::string fail_step_containing;  // a script containing this exits 1
  std::vector<state::Host> converged;
  std::ostringstream out, log;

  // The disk after the install: the layout applied, root mounted on /mnt.
  std::string installed_probe() const {
    std::string text = read_source("tests/data/disk/probe-vps-mounted.txt");
    text.replace(text.find("/ /tmp/dt/root rw"), 17, "/ /mnt rw");
    return text;
  }

  Result<transport::Output> answer(const ScriptedCall& call) {
    calls.push_back(call);
    transport::Output output{0, "", "", "", false};
    if (!fail_step_containing.empty() && contains(call.script, fail_step_containing)) {
      output.exit_code = 1;
      output.err = "grub-install: error: cannot find a GRUB drive for /dev/loop0";
    } else if (contains(call.script, "@@reconcile-")) {
      output.out = machine.probe_output(call.script);
    } else if (contains(call.script, "@@disk begin")) {
      output.out = installed_probe();
    }
    return output;
  }

  std::unique_ptr<transport::Transport> connect(const std::string& pinned_key) {
    pinned.push_back(pinned_key);
    std::optional<Error> refused;
    if (refuse_connections > 0) {
      --refuse_connections;
      refused = unavailable("connection refused");
    }
    return std::make_unique<ScriptedTransport>([this](const auto& call) { return answer(call); },
                                               refused);
  }

  BootstrapResult run(const BootstrapOptions& options, transport::Transport* controller = nullptr) {
    asio::io_context io;
    BootstrapEnvironment environment{io,
                                     [this](const std::string& key) { return connect(key); },
                                     controller,
                                     [this](const state::Host& host) -> asio::awaitable<Status> {
                                       converged.push_back(host);
                                       co_return ok();
                                     },
                                     nullptr,
                                     nullptr,
                                     out,
                                     log};
    state::Host host = vps_host();
    disk::DiskLayout layout = example_layout("vps-gpt");
    return run_sync(io, run_bootstrap(host, layout, options, environment));
  }

  std::vector<std::string> scripts_with(const std::string& part) const {
    std::vector<std::string> out;
    for (const auto& call : calls)
      if (contains(call.script, part)) out.push_back(call.script);
    return out;
  }
};

BootstrapOptions quick_options() {
  BootstrapOptions options;
  options.address = "203.0.113.10";
  options.port = 22;
  options.rescue_host_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJsdWU rescue";
  options.retry_interval = std::chrono::milliseconds(1);
  options.boot_timeout = std::chrono::seconds(5);
  options.reconcile_command = "reconcile -C . --host web1";
  return options;
}

}  // namespace

TEST_CASE("a dry run probes, prints the whole plan and changes nothing") {
  FakeMachine fake;
  BootstrapOptions options = quick_options();
  options.dry_run = true;
  BootstrapResult result = fake.run(options);
  CHECK(result.exit_code == kExitChangesPending);
  CHECK(result.failed_step.empty());
  REQUIRE(fake.calls.size() == 1);  // the preflight, nothing else
  CHECK(fake.pinned == std::vector<std::string>{options.rescue_host_key});
  std::string plan = fake.out.str();
  INFO(plan);
  CHECK(contains(plan, "bootstrap web1 (root@203.0.113.10:22)"));
  CHECK(contains(plan, "[DESTRUCTIVE]"));
  CHECK(contains(plan, "debootstrap Debian bookworm amd64 into /mnt"));
  CHECK(contains(plan, "a new ed25519 key generated on the controller"));
  CHECK(result.host_key_line.empty());
}

TEST_CASE("without --allow-destructive a blank disk is refused after the plan is shown") {
  FakeMachine fake;
  BootstrapResult result = fake.run(quick_options());
  CHECK(result.exit_code == kExitApplyFailed);
  CHECK(result.failed_step == "disk");
  CHECK(fake.calls.size() == 1);
  CHECK(contains(fake.log.str(), "--allow-destructive"));
  CHECK(contains(fake.out.str(), "needs --allow-destructive"));
}

TEST_CASE("a whole bootstrap: every step in order, the new key pinned from the first connection") {
  FakeMachine fake;
  fake.refuse_connections = 0;
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  BootstrapResult result = fake.run(options);
  INFO(fake.log.str());
  REQUIRE(result.exit_code == kExitOk);
  CHECK(result.failed_step.empty());

  // preflight, prepare, the disk plan's steps, the install marker,
  // debootstrap, the kernel and GRUB, the disk probe and fstab steps,
  // configure, reboot.
  std::vector<std::string> order;
  for (const auto& call : fake.calls) {
    if (contains(call.script, "@@reconcile-"))
      order.push_back("preflight");
    else if (contains(call.script, "earlier attempt"))
      order.push_back("prepare");
    else if (contains(call.script, "bootstrap-install' 2>/dev/null"))
      order.push_back("marker");
    else if (contains(call.script, "PHASE='base'"))
      order.push_back("debootstrap");
    else if (contains(call.script, "PHASE='kernel'"))
      order.push_back("kernel");
    else if (contains(call.script, "@@disk begin"))
      order.push_back("disk-probe");
    else if (contains(call.script, "update-grub"))
      order.push_back("configure");
    else if (contains(call.script, "rebooting"))
      order.push_back("reboot");
    else if (contains(call.script, "uname -r"))
      order.push_back("hello");
    else
      order.push_back("disk-step");
  }
  REQUIRE(order.size() >= 8);
  CHECK(order[0] == "preflight");
  CHECK(order[1] == "prepare");
  CHECK(order[2] == "disk-step");
  auto at = [&](const std::string& name) {
    return std::find(order.begin(), order.end(), name) - order.begin();
  };
  CHECK(at("marker") < at("debootstrap"));
  CHECK(at("debootstrap") < at("kernel"));
  CHECK(at("kernel") < at("disk-probe"));
  CHECK(at("disk-probe") < at("configure"));
  CHECK(at("configure") < at("reboot"));
  CHECK(order.back() == "hello");
  CHECK(order[order.size() - 2] == "reboot");

  // The configure step carries the new host key and root's keys on stdin,
  // never in the script.
  const auto& configure = fake.calls[static_cast<size_t>(at("configure"))];
  std::string private_key = "-----BEGIN OPENSSH PRIVATE KEY-----";
  CHECK(contains(configure.input, private_key));
  CHECK_FALSE(contains(configure.script, private_key));
  CHECK(contains(configure.input, fake.machine.keys));
  CHECK(contains(configure.input, "MACAddress=52:54:00:12:34:56"));
  CHECK(contains(configure.script, "grub-install --target=i386-pc '/dev/loop0'"));

  // After the reboot the connection verifies the key placed before it.
  REQUIRE(result.host_key_line.rfind("ssh-ed25519 ", 0) == 0);
  REQUIRE(fake.pinned.size() == 2);
  CHECK(fake.pinned[0] == options.rescue_host_key);
  CHECK(fake.pinned[1] == result.host_key_line);
  REQUIRE(fake.converged.size() == 1);
  CHECK(fake.converged[0].ssh.host_key == pin_of(result.host_key_line));
  CHECK(fake.converged[0].ssh.user == "root");

  std::string out = fake.out.str();
  CHECK(contains(out, "step durations:"));
  CHECK(contains(out, "ssh: { host_key: \"" + pin_of(result.host_key_line) + "\" }"));
  std::vector<std::string> steps;
  for (const auto& timing : result.timings)
    steps.push_back(timing.step);
  CHECK(steps == std::vector<std::string>{"preflight", "prepare", "disk", "install", "configure",
                                          "identity", "reboot", "wait", "converge", "total"});
}

TEST_CASE("waiting after the reboot retries until the new system answers") {
  FakeMachine fake;
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  // The rescue connection works; then the machine is down for three tries.
  BootstrapResult result;
  {
    asio::io_context io;
    int connection = 0;
    BootstrapEnvironment environment{
        io,
        [&](const std::string& key) {
          if (++connection == 2) fake.refuse_connections = 3;
          return fake.connect(key);
        },
        nullptr,
        [&](const state::Host&) -> asio::awaitable<Status> { co_return ok(); },
        nullptr,
        nullptr,
        fake.out,
        fake.log};
    state::Host host = vps_host();
    disk::DiskLayout layout = example_layout("vps-gpt");
    result = run_sync(io, run_bootstrap(host, layout, options, environment));
  }
  CHECK(result.exit_code == kExitOk);
  CHECK(fake.pinned.size() == 5);  // rescue, three refused, the new system
}

TEST_CASE("a failed step says which, why and how to resume") {
  FakeMachine fake;
  fake.fail_step_containing = "update-grub";
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  BootstrapResult result = fake.run(options);
  CHECK(result.exit_code == kExitApplyFailed);
  CHECK(result.failed_step == "configure");
  std::string log = fake.log.str();
  CHECK(contains(log, "FAILED at step 'configure'"));
  CHECK(contains(log, "cannot find a GRUB drive"));
  CHECK(contains(log, "to resume: fix the cause and run the same command again"));
  CHECK(fake.scripts_with("rebooting").empty());
  CHECK(fake.converged.empty());
}

TEST_CASE("a machine that does not come back fails the wait with the finishing command") {
  FakeMachine fake;
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  options.boot_timeout = std::chrono::seconds(0);
  asio::io_context io;
  int connection = 0;
  BootstrapEnvironment environment{
      io,
      [&](const std::string& key) {
        if (++connection == 2) fake.refuse_connections = 1000;
        return fake.connect(key);
      },
      nullptr,
      [&](const state::Host&) -> asio::awaitable<Status> { co_return ok(); },
      nullptr,
      nullptr,
      fake.out,
      fake.log};
  state::Host host = vps_host();
  disk::DiskLayout layout = example_layout("vps-gpt");
  BootstrapResult result = run_sync(io, run_bootstrap(host, layout, options, environment));
  CHECK(result.exit_code == kExitApplyFailed);
  CHECK(result.failed_step == "wait");
  CHECK(contains(fake.log.str(), "did not answer SSH with the pinned host key"));
  CHECK(contains(fake.log.str(), "reconcile -C . --host web1"));
  CHECK(contains(fake.out.str(), "ssh: { host_key:"));
}

TEST_CASE("an unreachable machine is exit 4 and changes nothing") {
  FakeMachine fake;
  fake.refuse_connections = 1;
  BootstrapResult result = fake.run(quick_options());
  CHECK(result.exit_code == kExitUnreachable);
  CHECK(result.failed_step == "preflight");
  CHECK(fake.calls.empty());
}

TEST_CASE("kexec: the installer goes up with the network, keys and a pinned key of its own") {
  TempDir dir;
  write_file(dir.file("vmlinuz"), "K");
  write_file(dir.file("initrd.img"), "III");
  FakeMachine fake;
  fake.machine.tools += "kexec\n";
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  options.settings.kexec_dir = dir.path();
  BootstrapResult result = fake.run(options);
  INFO(fake.log.str());
  REQUIRE(result.exit_code == kExitOk);
  auto kexec = std::find_if(fake.calls.begin(), fake.calls.end(),
                            [](const auto& call) { return contains(call.script, "kexec -l"); });
  REQUIRE(kexec != fake.calls.end());
  CHECK(kexec->streamed);
  CHECK(kexec->input.substr(0, 5) == std::string("KIII\0", 5));
  CHECK(contains(kexec->input, "RI_MAC='52:54:00:12:34:56'"));
  CHECK(contains(kexec->input, "etc/reconcile-installer/ssh_host_ed25519_key"));
  CHECK(contains(kexec->script, "initrd_size=" + std::to_string(kexec->input.size() - 1)));
  // rescue, installer (its own pinned key), new system.
  REQUIRE(fake.pinned.size() == 3);
  CHECK(fake.pinned[1].rfind("ssh-ed25519 ", 0) == 0);
  CHECK(fake.pinned[1] != fake.pinned[2]);
  CHECK(contains(kexec->input, fake.pinned[1]));
  // A second preflight runs in the installer.
  CHECK(fake.scripts_with("@@reconcile-").size() == 2);
}

TEST_CASE("the image route streams the cached image and builds it when missing") {
  TempDir cache;
  FakeMachine fake;
  BootstrapOptions options = quick_options();
  options.settings.allow_destructive = true;
  options.settings.install = InstallMethod::kImage;
  options.settings.image_cache = cache.path();
  // The controller "builds" the image by writing the file the runner streams.
  ImageSpec spec{"bookworm", "amd64", options.settings.mirror};
  int builds = 0;
  ScriptedTransport controller(
      [&](const ScriptedCall& call) -> Result<transport::Output> {
        ++builds;
        CHECK(contains(call.script, "flock 9"));
        write_file(image_path(cache.path(), spec), "IMAGE BYTES");
        return transport::Output{0, "built\n", "", "", false};
      },
      std::nullopt);
  BootstrapResult result = fake.run(options, &controller);
  INFO(fake.log.str());
  REQUIRE(result.exit_code == kExitOk);
  CHECK(builds == 1);
  auto unpack = std::find_if(fake.calls.begin(), fake.calls.end(),
                             [](const auto& call) { return contains(call.script, "zstd -dc"); });
  REQUIRE(unpack != fake.calls.end());
  CHECK(unpack->streamed);
  CHECK(unpack->input == "IMAGE BYTES");
  CHECK(contains(unpack->script, "--exclude='./boot/efi'"));
  CHECK(contains(unpack->script, image_name(spec)));
  // Cached now: a second run does not build again.
  FakeMachine again;
  BootstrapResult second = again.run(options, &controller);
  CHECK(second.exit_code == kExitOk);
  CHECK(builds == 1);
}
