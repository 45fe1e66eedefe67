// `reconcile facts HOST...`: one probe round trip per host, facts printed
// as text or JSON. Unreachable hosts are listed with the reason (exit 4).

#include <unistd.h>

#include <iostream>

#include "desired-state/loader.h"
#include "reconciler/commands.h"
#include "reconciler/connection.h"
#include "reconciler/exit_codes.h"
#include "reconciler/facts_json.h"
#include "reconciler/host_selection.h"
#include "reconciler/repo_loading.h"

namespace reconcile {

namespace {

struct FactsOptions {
  std::vector<std::string> hosts;
  bool json = false;
};

void print_text(const HostReport& report) {
  const modules::SystemFacts& s = report.facts.system;
  std::cout << report.name << " (" << report.address << ")\n";
  if (report.status == HostStatus::kUnreachable || report.status == HostStatus::kFailed) {
    std::cout << "  " << host_status_name(report.status) << ": " << report.error << "\n\n";
    return;
  }
  std::cout << "  os:              " << s.os_pretty_name << "\n"
            << "  kernel:          " << s.kernel << " (" << s.architecture << ")\n"
            << "  hostname:        " << s.hostname << "\n"
            << "  boot mode:       " << s.boot_mode << "\n"
            << "  init:            " << s.init << "\n"
            << "  package manager: " << s.package_manager << "\n"
            << "  memory:          " << s.memory_bytes / (1024 * 1024) << " MiB\n"
            << "  /run/secrets:    " << (s.secrets_tmpfs ? "tmpfs" : "not a tmpfs") << "\n"
            << "  mounts:          " << s.mounts.size() << "\n";
  if (s.interfaces.is_array()) {
    for (const auto& interface : s.interfaces) {
      std::cout << "  interface:       " << interface.value("ifname", "?");
      if (interface.contains("addr_info")) {
        for (const auto& address : interface["addr_info"]) {
          std::cout << " " << address.value("local", "") << "/" << address.value("prefixlen", 0);
        }
      }
      std::cout << "\n";
    }
  }
  std::cout << "\n";
}

int run_facts(const FactsOptions& options, const CommandContext& context) {
  auto loaded_repo = load_valid_repo(context.repo);
  if (!loaded_repo) return kExitInvalidInput;
  const state::LoadResult& loaded = loaded_repo->loaded;
  auto hosts = select_hosts(loaded.repo, options.hosts);
  if (!hosts) {
    std::cerr << "error: " << hosts.error().message() << "\n";
    return kExitInvalidInput;
  }
  EngineOptions engine = engine_options(context.connection);
  engine.probe_only = true;
  auto progress = make_progress({}, false, true);
  auto reports = run_hosts(*hosts, make_transport_factory(context.connection), engine, *progress);
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& report : reports) {
      nlohmann::json entry = {{"name", report.name},
                              {"address", report.address},
                              {"status", host_status_name(report.status)}};
      if (!report.error.empty()) entry["error"] = report.error;
      if (report.status != HostStatus::kUnreachable && report.status != HostStatus::kFailed) {
        entry["facts"] = facts_json(report.facts);
      }
      entry["ssh_channels"] = report.stats.channels;
      out.push_back(entry);
    }
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& report : reports)
      print_text(report);
  }
  return exit_code_for(reports);
}

}  // namespace

void add_facts_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<FactsOptions>();
  CLI::App* command = app.add_subcommand(
      "facts", "Gather and print the facts of hosts (one SSH round trip each; changes nothing)");
  command->add_option("hosts", options->hosts, "Host names or globs (default: every host)");
  command->add_option("--host", options->hosts, "Same as a HOST argument (repeatable)")
      ->allow_extra_args(false);
  add_repo_options(*command, context.repo);
  add_connection_options(*command, context.connection);
  command->add_flag("--json", options->json, "Print the facts as JSON");
  command->callback([options, &context] { context.exit_code = run_facts(*options, context); });
}

}  // namespace reconcile
