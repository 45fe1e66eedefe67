// `reconcile check`: load and validate a repository, print a line per host
// and every problem with file:line:column. Touches no host.

#include <iostream>
#include <nlohmann/json.hpp>

#include "desired-state/loader.h"
#include "reconciler/base/strings.h"
#include "reconciler/commands.h"
#include "reconciler/exit_codes.h"
#include "reconciler/repo_loading.h"

namespace reconcile {

namespace {

struct CheckOptions {
  bool json = false;
};

nlohmann::json to_json(const state::LoadResult& result, const std::string& prefix) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& host : result.repo.hosts) {
    hosts.push_back({{"name", host.name},
                     {"address", host.address},
                     {"roles", host.roles},
                     {"sections", host.sections}});
  }
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& item : result.diagnostics.items()) {
    errors.push_back({{"file", prefix + item.location.file},
                      {"line", item.location.line},
                      {"column", item.location.column},
                      {"message", item.message}});
  }
  return {{"valid", result.ok()},
          {"origin", result.repo.origin},
          {"commit", result.repo.commit},
          {"roles", result.repo.roles},
          {"hosts", hosts},
          {"errors", errors}};
}

void print_text(const state::LoadResult& result, const std::string& prefix) {
  size_t width = 0;
  for (const auto& host : result.repo.hosts)
    width = std::max(width, host.name.size());
  if (result.ok()) {
    for (const auto& host : result.repo.hosts) {
      std::vector<std::string> sections;
      for (const auto& section : host.sections) {
        if (section != "address" && section != "roles") sections.push_back(section);
      }
      std::cout << host.name << std::string(width - host.name.size() + 2, ' ') << "address "
                << host.address << "  roles [" << join(host.roles, ", ") << "]  sections ["
                << join(sections, ", ") << "]\n";
    }
    std::cout << "ok: " << result.repo.hosts.size() << " hosts, " << result.repo.roles.size()
              << " roles, " << result.repo.disk_layouts.size() << " disk layouts in "
              << result.repo.origin << "\n";
    return;
  }
  print_diagnostics(result.diagnostics, prefix);
  std::cerr << result.diagnostics.size() << " error" << (result.diagnostics.size() == 1 ? "" : "s")
            << " in " << result.repo.origin << "; nothing would be applied\n";
}

int run_check(const CheckOptions& options, const CommandContext& context) {
  auto source = open_repo(context.repo);
  if (!source) {
    std::cerr << "error: " << source.error().message() << "\n";
    return kExitInvalidInput;
  }
  state::LoadResult result = state::load_repo(**source);
  std::string prefix = diagnostic_prefix(context.repo);
  if (options.json) {
    std::cout << to_json(result, prefix).dump(2) << "\n";
  } else {
    print_text(result, prefix);
  }
  return result.ok() ? kExitOk : kExitInvalidInput;
}

}  // namespace

void add_check_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "Validate the desired-state repository and summarise its hosts (touches no host)");
  add_repo_options(*command, context.repo);
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->callback([options, &context] { context.exit_code = run_check(*options, context); });
}

}  // namespace reconcile
