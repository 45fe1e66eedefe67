// `reconcile check`: load and validate a repository, print a line per host
// and every problem with file:line:column. With --identity, also prove that
// every secret the hosts use decrypts with the controller's identity (in
// memory; nothing of the plaintext is printed). Touches no host.

#include <iostream>
#include <nlohmann/json.hpp>

#include "desired-state/loader.h"
#include "reconciler/base/strings.h"
#include "reconciler/commands.h"
#include "reconciler/exit_codes.h"
#include "reconciler/repo_loading.h"
#include "reconciler/secret_loading.h"

namespace reconcile {

namespace {

struct CheckOptions {
  bool json = false;
  std::string identity;  // empty: secrets are not checked
};

// One secret file the hosts use, and whether it decrypts.
struct SecretCheck {
  std::string source;
  std::vector<std::string> hosts;
  std::string error;  // empty when it decrypts
};

std::vector<SecretCheck> check_secrets(const state::RepoSource& source, const state::Repo& repo,
                                       const std::string& identity) {
  std::vector<const state::Host*> hosts;
  for (const auto& host : repo.hosts)
    hosts.push_back(&host);
  secrets::SecretStore store = load_secret_store(source, hosts, identity);
  std::vector<SecretCheck> checks;
  for (const auto& [path, users] : secret_sources(hosts)) {
    const secrets::SecretStore::Entry* entry = store.find(path);
    checks.push_back({path, users, entry->plaintext ? std::string() : entry->error});
  }
  return checks;
}

bool all_decrypt(const std::vector<SecretCheck>& checks) {
  for (const auto& check : checks) {
    if (!check.error.empty()) return false;
  }
  return true;
}

nlohmann::json secrets_json(const std::vector<SecretCheck>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& check : checks) {
    out.push_back({{"source", check.source},
                   {"hosts", check.hosts},
                   {"decrypts", check.error.empty()},
                   {"error", check.error}});
  }
  return out;
}

void print_secrets(const std::vector<SecretCheck>& checks, const std::string& identity,
                   const std::string& prefix) {
  size_t good = 0;
  for (const auto& check : checks) {
    if (check.error.empty()) {
      ++good;
      continue;
    }
    std::cerr << prefix << check.source << ": error: does not decrypt with " << identity
              << " (used by " << join(check.hosts, ", ") << "): " << check.error << "\n";
  }
  if (good == checks.size()) {
    std::cout << "ok: " << checks.size() << " secret file" << (checks.size() == 1 ? "" : "s")
              << " used by hosts decrypt with " << identity << "\n";
  } else {
    std::cerr << checks.size() - good << " of " << checks.size()
              << " secret files used by hosts do not decrypt with " << identity << "\n";
  }
}

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
  bool check_identity = !options.identity.empty() && result.ok();
  std::vector<SecretCheck> secrets;
  if (check_identity) secrets = check_secrets(**source, result.repo, options.identity);
  if (options.json) {
    nlohmann::json out = to_json(result, prefix);
    if (check_identity) {
      out["secrets"] = secrets_json(secrets);
      out["valid"] = all_decrypt(secrets);
    }
    std::cout << out.dump(2) << "\n";
  } else {
    print_text(result, prefix);
    if (check_identity) print_secrets(secrets, options.identity, prefix);
  }
  return result.ok() && all_decrypt(secrets) ? kExitOk : kExitInvalidInput;
}

}  // namespace

void add_check_command(CLI::App& app, CommandContext& context) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* command = app.add_subcommand(
      "check", "Validate the desired-state repository and summarise its hosts (touches no host)");
  add_repo_options(*command, context.repo);
  command->add_flag("--json", options->json, "Print the result as JSON");
  command->add_option("--identity", options->identity,
                      "Also prove that every secret the hosts use decrypts with this identity "
                      "file (the controller's); prints nothing of the plaintext");
  command->callback([options, &context] { context.exit_code = run_check(*options, context); });
}

}  // namespace reconcile
