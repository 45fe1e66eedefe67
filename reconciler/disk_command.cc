// `reconcile disk plan`: what a disk layout would do to one device, before a
// bootstrap or a layout change. Reads facts (lsblk, blkid, sfdisk, mounts,
// fstab) from a host of the repository or from this machine, plans, prints.
// Touches nothing.

#include <iostream>

#include "desired-state/loader.h"
#include "disk-layouts/planner.h"
#include "modules/scripts.h"
#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/exit_codes.h"
#include "reconciler/host_selection.h"
#include "reconciler/repo_loading.h"

namespace reconcile {

namespace {

struct DiskPlanOptions {
  std::string layout;
  std::vector<std::string> devices;
  std::string host;
  std::string mount_root = "/";
};

// Probes the host (or this machine) and returns its disk facts.
Result<disk::DiskFacts> probe_disks(const state::Host& host, const DiskPlanOptions& options,
                                    const CommandContext& context) {
  asio::io_context io;
  auto factory = make_transport_factory(context.connection);
  auto transport = TRY(factory(io, host));
  std::string script =
      modules::script_preamble() + disk::disk_probe_script(options.devices, options.mount_root);
  Result<disk::DiskFacts> facts = internal_error("probe did not run");
  transport::RunOptions run_options;
  run_options.timeout = std::chrono::seconds(context.connection.command_timeout_seconds);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto output = co_await transport->run(script, {}, run_options);
        co_await transport->close();
        if (!output) {
          facts = std::move(output).error();
        } else if (output->exit_code != 0) {
          facts = failed_precondition("disk probe exited with " +
                                      std::to_string(output->exit_code) + ": " + output->err);
        } else {
          facts = disk::parse_disk_facts(output->out);
        }
      },
      asio::detached);
  io.run();
  return facts;
}

int run_disk_plan(const DiskPlanOptions& options, const CommandContext& context) {
  auto loaded_repo = load_valid_repo(context.repo);
  if (!loaded_repo) return kExitInvalidInput;
  const state::LoadResult& loaded = loaded_repo->loaded;
  auto layout = loaded.repo.disk_layouts.find(options.layout);
  if (layout == loaded.repo.disk_layouts.end()) {
    std::cerr << "error: no disk layout '" << options.layout << "' (disk-layouts/" << options.layout
              << ".yaml in " << loaded.repo.origin << ")\n";
    return kExitInvalidInput;
  }
  state::Host target;
  if (options.host.empty()) {
    target.name = "local";
    target.address = "local";
  } else {
    auto hosts = select_hosts(loaded.repo, {options.host});
    if (!hosts || hosts->size() != 1) {
      std::cerr << "error: --host must name exactly one host of the repository\n";
      return kExitInvalidInput;
    }
    target = *hosts->front();
  }
  auto facts = probe_disks(target, options, context);
  if (!facts) {
    std::cerr << target.name << ": " << facts.error().message() << "\n";
    return facts.error().is_retryable() || facts.error().code() == ErrorCode::kUnauthenticated
               ? kExitUnreachable
               : kExitApplyFailed;
  }
  auto plan = disk::plan_disk(layout->second, {options.devices, options.mount_root}, *facts);
  if (!plan) {
    std::cerr << target.name << ": refused: " << plan.error().message() << "\n";
    return kExitApplyFailed;
  }
  std::cout << target.name << ": layout " << options.layout << " on " << options.devices.front()
            << (options.devices.size() > 1 ? " and " + options.devices.back() : "") << "\n"
            << disk::format_plan(*plan);
  return plan->empty() ? kExitOk : kExitChangesPending;
}

}  // namespace

void add_disk_command(CLI::App& app, CommandContext& context) {
  CLI::App* disk = app.add_subcommand("disk", "Disk layouts");
  disk->require_subcommand(1);
  auto options = std::make_shared<DiskPlanOptions>();
  CLI::App* plan = disk->add_subcommand(
      "plan",
      "Show what a disk layout would do to a device (reads facts, changes nothing; exit 0: "
      "nothing to do, 2: changes, 3: refused)");
  add_repo_options(*plan, context.repo);
  add_connection_options(*plan, context.connection);
  plan->add_option("--layout", options->layout, "Layout name (disk-layouts/NAME.yaml)")->required();
  plan->add_option("--device", options->devices, "Device (twice for a RAID1 layout)")->required();
  plan->add_option("--host", options->host,
                   "Host of the repository to probe (default: this machine, read-only)");
  plan->add_option("--mount-root", options->mount_root,
                   "Directory the layout's mountpoints live under")
      ->capture_default_str();
  plan->callback([options, &context] { context.exit_code = run_disk_plan(*options, context); });
}

}  // namespace reconcile
