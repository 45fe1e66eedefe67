// `reconcile bootstrap HOST`: turns a machine booted into a rescue system (or
// its provider's stock image, with --kexec) into a converged Debian host. The
// work is in reconciler/bootstrap/ (runner.h); this file reads the flags and
// the repository, builds the transports, and hands the runner the normal
// engine run as its last step. `--build-image` only builds the cached image.

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/base/shell.h"
#include "reconciler/bootstrap/runner.h"
#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/engine.h"
#include "reconciler/exit_codes.h"
#include "reconciler/plan_output.h"
#include "reconciler/repo_loading.h"
#include "reconciler/secret_loading.h"
#include "reconciler/transport/host_key.h"
#include "reconciler/transport/local_transport.h"
#include "reconciler/transport/ssh_transport.h"
#include "secrets/keys.h"
#include "secrets/secret_file.h"

namespace reconcile {

namespace {

struct BootstrapCommandOptions {
  std::string host;
  bool dry_run = false;
  bool allow_destructive = false;
  bool quiet = false;
  std::string install = "debootstrap";
  std::string kexec_dir;
  std::string image_cache;
  std::string mirror = "http://deb.debian.org/debian";
  int port = 0;
  std::string rescue_host_key;
  std::string host_key_file;
  std::string identity = kDefaultControllerIdentity;
  int boot_timeout_seconds = 600;
  bool build_image = false;
  std::string release = "bookworm";
};

std::string default_image_cache() {
  const char* value = std::getenv("RECONCILE_IMAGE_CACHE");
  return value != nullptr && *value != '\0' ? value : "/var/cache/reconcile/images";
}

// The controller's Debian architecture, for images built here.
std::string controller_arch() {
  utsname name{};
  uname(&name);
  std::string machine = name.machine;
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  return machine;
}

// --rescue-host-key takes a key line or a file holding one (a .pub file).
Result<std::string> read_key_argument(const std::string& value) {
  std::string line = value;
  if (value.find(' ') == std::string::npos) {
    std::ifstream in(value);
    if (!in) return not_found("--rescue-host-key: no such key file " + value);
    std::getline(in, line);
  }
  auto key = transport::parse_public_key(line);
  if (!key) return invalid_argument("--rescue-host-key: " + key.error().message());
  return transport::format_public_key(*key);
}

template <typename T>
asio::awaitable<void> store_result(asio::awaitable<T> work, std::optional<T>& out) {
  out.emplace(co_await std::move(work));
}

// Runs `work` on `io` until everything on it is done.
template <typename T>
T run_on(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  asio::co_spawn(io, store_result(std::move(work), result), asio::detached);
  io.run();
  return std::move(*result);
}

int build_image(const BootstrapCommandOptions& options) {
  bootstrap::ImageSpec spec{options.release, controller_arch(), options.mirror};
  std::string cache = options.image_cache.empty() ? default_image_cache() : options.image_cache;
  std::string path = bootstrap::image_path(cache, spec);
  if (geteuid() != 0) {
    std::cerr << "error: building an image needs root on the controller (debootstrap)\n";
    return kExitInvalidInput;
  }
  if (std::filesystem::exists(path)) {
    std::cerr << "cached: " << path << "\n";
    std::cout << path << "\n";
    return kExitOk;
  }
  std::cerr << "building " << path << " (debootstrap from " << spec.mirror
            << "; about 1.5 min on an idle machine)\n";
  asio::io_context io;
  auto controller = transport::make_local_transport(io);
  transport::RunOptions run;
  run.timeout = std::chrono::hours(1);
  auto output = run_on(io, controller->run(bootstrap::image_build_script(cache, spec), {}, run));
  if (!output || output->exit_code != 0) {
    std::cerr << "error: building the image failed: "
              << (output ? output->err + output->out : output.error().message()) << "\n";
    return kExitApplyFailed;
  }
  std::cout << path << "\n";
  return kExitOk;
}

// The controller's age identity (--identity). A missing file is no error
// here: only a host whose repository holds secrets/hosts/HOST.age needs it,
// and find_host_identity says so then.
Result<secrets::IdentityList> load_identities(const std::string& file) {
  if (file.empty() || !std::filesystem::exists(file)) return secrets::IdentityList{};
  return secrets::read_identity_files({file});
}

transport::SshClientOptions client_options(const ConnectionOptions& connection) {
  transport::SshClientOptions client;
  client.key_files = connection.ssh_keys;
  client.known_hosts_file = connection.known_hosts;
  client.accept_new_host_keys = connection.accept_new_host_keys;
  client.use_agent = !connection.no_agent;
  client.connect_timeout = std::chrono::seconds(connection.connect_timeout_seconds);
  return client;
}

std::string resume_command(const BootstrapCommandOptions& options, const RepoOptions& repo) {
  std::string command = "reconcile -C " + shell_quote(repo.path);
  if (repo.revision_given()) command += " --rev " + shell_quote(repo.revision);
  return command + " --host " + shell_quote(options.host);
}

int run_bootstrap_command(const BootstrapCommandOptions& options, const CommandContext& context) {
  if (options.build_image) return build_image(options);
  if (options.host.empty()) {
    std::cerr << "error: name the HOST to bootstrap (or pass --build-image)\n";
    return kExitInvalidInput;
  }
  auto loaded_repo = load_valid_repo(context.repo);
  if (!loaded_repo) return kExitInvalidInput;
  const state::LoadResult& loaded = loaded_repo->loaded;
  const state::Host* host = nullptr;
  for (const auto& candidate : loaded.repo.hosts)
    if (candidate.name == options.host) host = &candidate;
  if (host == nullptr) {
    std::cerr << "error: no host " << options.host << " in " << loaded.repo.origin << "\n";
    return kExitInvalidInput;
  }
  if (!host->disk) {
    std::cerr << "error: " << host->file
              << ": bootstrap needs a disk section (disk: { layout, device })\n";
    return kExitInvalidInput;
  }
  if (host->address == "local") {
    std::cerr << "error: " << host->file << ": a host with address: local cannot be bootstrapped\n";
    return kExitInvalidInput;
  }
  const disk::DiskLayout& layout = loaded.repo.disk_layouts.at(host->disk->layout);

  bootstrap::BootstrapOptions bootstrap_options;
  bootstrap::BootstrapSettings& settings = bootstrap_options.settings;
  settings.install = options.install == "image" ? bootstrap::InstallMethod::kImage
                                                : bootstrap::InstallMethod::kDebootstrap;
  if (!options.kexec_dir.empty()) settings.kexec_dir = options.kexec_dir;
  settings.mirror = options.mirror;
  settings.image_cache = options.image_cache.empty() ? default_image_cache() : options.image_cache;
  settings.allow_destructive = options.allow_destructive;
  bootstrap_options.dry_run = options.dry_run;
  bootstrap_options.address = host->address;
  bootstrap_options.port = options.port != 0 ? options.port : host->ssh.port.value_or(22);
  if (!options.rescue_host_key.empty()) {
    auto key = read_key_argument(options.rescue_host_key);
    if (!key) {
      std::cerr << "error: " << key.error().message() << "\n";
      return kExitInvalidInput;
    }
    bootstrap_options.rescue_host_key = *key;
  }
  if (!options.host_key_file.empty()) bootstrap_options.host_key_file = options.host_key_file;
  auto identities = load_identities(options.identity);
  if (!identities) {
    std::cerr << "error: " << identities.error().message() << "\n";
    return kExitInvalidInput;
  }
  bootstrap_options.boot_timeout = std::chrono::seconds(options.boot_timeout_seconds);
  bootstrap_options.script_timeout =
      std::chrono::seconds(context.connection.command_timeout_seconds);
  bootstrap_options.reconcile_command = resume_command(options, context.repo);

  asio::io_context io;
  transport::SshClientOptions client = client_options(context.connection);
  auto connect = [&](const std::string& pinned_key) {
    transport::SshTarget target;
    target.name = host->name;
    target.address = host->address;
    target.port = static_cast<uint16_t>(bootstrap_options.port);
    target.user = "root";
    target.host_key = pinned_key;
    return transport::make_ssh_transport(io, target, client);
  };
  auto controller = transport::make_local_transport(io);
  auto progress = make_progress({host->name}, false, options.quiet);
  EngineOptions engine = engine_options(context.connection);
  engine.dry_run = false;
  engine.allow_destructive = options.allow_destructive;
  // The converge step delivers the host's secrets like apply does.
  std::vector<const state::Host*> selected{host};
  secrets::SecretStore secrets =
      load_secret_store(*loaded_repo->source, selected, options.identity);
  engine.secrets = &secrets;
  auto converge = [&](const state::Host& pinned) -> asio::awaitable<Status> {
    transport::SshTarget target;
    target.name = pinned.name;
    target.address = pinned.address;
    target.port = static_cast<uint16_t>(pinned.ssh.port.value_or(22));
    target.user = pinned.ssh.user.value_or("root");
    target.host_key = pinned.ssh.host_key.value_or("");
    auto transport = transport::make_ssh_transport(io, target, client);
    HostReport report;
    co_await run_host(pinned, *transport, engine, *progress, report);
    std::cout << render_text({report}, {want_color(), true});
    if (report.status == HostStatus::kConverged) co_return ok();
    co_return failed_precondition(std::string(host_status_name(report.status)) +
                                  (report.error.empty() ? "" : ": " + report.error));
  };
  std::ostringstream discard;
  bootstrap::BootstrapEnvironment environment{io,
                                              connect,
                                              controller.get(),
                                              converge,
                                              loaded_repo->source.get(),
                                              &*identities,
                                              std::cout,
                                              options.quiet ? discard : std::cerr};
  bootstrap::BootstrapResult result =
      run_on(io, bootstrap::run_bootstrap(*host, layout, bootstrap_options, environment));
  return result.exit_code;
}

}  // namespace

void add_bootstrap_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<BootstrapCommandOptions>();
  CLI::App* command = app.add_subcommand(
      "bootstrap",
      "Install Debian on a machine booted into a rescue system (or, with --kexec, its stock "
      "image), reboot into it and converge it: see docs/bootstrap.md");
  add_repo_options(*command, context.repo);
  add_connection_options(*command, context.connection);
  command->add_option("HOST", options->host, "The host to bootstrap (hosts/HOST.yaml)");
  command->add_flag("-n,--dry-run", options->dry_run,
                    "Connect, gather facts and print the whole bootstrap plan; change nothing "
                    "(exit 2)");
  command->add_flag("--allow-destructive", options->allow_destructive,
                    "Allow the disk changes that destroy data (a new partition table, "
                    "reformatting)");
  command
      ->add_option("--install", options->install,
                   "How Debian is installed: debootstrap on the machine, or an image built "
                   "once on the controller and streamed over SSH")
      ->check(CLI::IsMember({"debootstrap", "image"}))
      ->capture_default_str();
  command->add_option("--kexec", options->kexec_dir,
                      "Boot the in-memory installer in DIR (vmlinuz, initrd.img from "
                      "tools/build-installer) with kexec first; needed when the target disk "
                      "holds the running system");
  command->add_option("--image-cache", options->image_cache,
                      "Where images are cached (default $RECONCILE_IMAGE_CACHE, else "
                      "/var/cache/reconcile/images)");
  command->add_option("--mirror", options->mirror, "Debian mirror for debootstrap")
      ->capture_default_str();
  command
      ->add_option("--port", options->port,
                   "SSH port of the rescue system and of the first boot (default: the "
                   "host's ssh.port)")
      ->check(CLI::Range(1, 65535));
  command->add_option("--rescue-host-key", options->rescue_host_key,
                      "The host key of the system the bootstrap starts from (a key line or a "
                      ".pub file); without it, --known-hosts decides");
  command->add_option("--host-key-file", options->host_key_file,
                      "Place this ed25519 private key as the new system's SSH host key instead "
                      "of generating one");
  command
      ->add_option("--identity", options->identity,
                   "The controller's age identity file: decrypts secrets/hosts/HOST.age (the "
                   "host's own age identity, for /var/lib/reconcile/host.key) and the secrets "
                   "the converge step delivers")
      ->capture_default_str();
  command
      ->add_option("--boot-timeout", options->boot_timeout_seconds,
                   "Seconds to wait for SSH after a kexec or the reboot")
      ->check(CLI::Range(10, 7200))
      ->capture_default_str();
  command->add_flag("--build-image", options->build_image,
                    "Only build (or find) the cached image for --release and this "
                    "controller's architecture, print its path, and exit");
  command->add_option("--release", options->release, "Debian release for --build-image")
      ->capture_default_str();
  command->add_flag("-q,--quiet", options->quiet, "No progress lines on stderr");
  command->callback(
      [options, &context] { context.exit_code = run_bootstrap_command(*options, context); });
}

}  // namespace reconcile
