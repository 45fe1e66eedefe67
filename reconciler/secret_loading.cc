#include "reconciler/secret_loading.h"

#include "secrets/secret_file.h"

namespace reconcile {

std::map<std::string, std::vector<std::string>> secret_sources(
    const std::vector<const state::Host*>& hosts) {
  std::map<std::string, std::vector<std::string>> sources;
  for (const auto* host : hosts) {
    for (const auto& secret : host->secrets) {
      auto& users = sources[secret.source];
      if (users.empty() || users.back() != host->name) users.push_back(host->name);
    }
  }
  return sources;
}

secrets::RecipientPolicy recipient_policy(const state::Repo& repo) {
  secrets::RecipientPolicy policy;
  policy.recipients = repo.settings.secrets.recipients;
  policy.controller = repo.settings.secrets.controller;
  policy.access = repo.settings.secrets.access;
  for (const auto& host : repo.hosts) {
    secrets::RecipientPolicy::HostUse use;
    use.host = host.name;
    use.age_recipient = host.age_recipient;
    for (const auto& secret : host.secrets) {
      if (auto name = secrets::secret_name_of_source(secret.source)) use.secrets.insert(*name);
    }
    policy.hosts.push_back(std::move(use));
  }
  return policy;
}

secrets::SecretStore load_secret_store(const state::RepoSource& source,
                                       const std::vector<const state::Host*>& hosts,
                                       const std::string& identity_file) {
  secrets::SecretStore store;
  auto sources = secret_sources(hosts);
  if (sources.empty()) return store;
  auto identities = secrets::read_identity_files({identity_file});
  for (const auto& [path, users] : sources) {
    if (!identities) {
      store.add(path,
                Error(identities.error().code(),
                      identities.error().message() + " (the controller's identity, --identity)"));
      continue;
    }
    auto ciphertext = source.read(path);
    if (!ciphertext) {
      store.add(path, std::move(ciphertext).error());
      continue;
    }
    store.add(path, secrets::decrypt_to_buffer(*ciphertext, *identities));
  }
  return store;
}

}  // namespace reconcile
