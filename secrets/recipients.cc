#include "secrets/recipients.h"

#include <algorithm>

namespace reconcile::secrets {

namespace {

constexpr const char* kHostPrefix = "host ";

void add(std::vector<ResolvedRecipient>& out, const std::string& name, const std::string& key,
         const std::string& reason) {
  for (auto& existing : out) {
    if (existing.key != key) continue;
    // The same key under two names: keep the first name, say both.
    if (existing.name != name) existing.reasons.push_back("also " + name);
    if (std::find(existing.reasons.begin(), existing.reasons.end(), reason) ==
        existing.reasons.end()) {
      existing.reasons.push_back(reason);
    }
    return;
  }
  out.push_back({name, key, {reason}});
}

}  // namespace

std::vector<std::string> hosts_using(const RecipientPolicy& policy, const std::string& name) {
  std::vector<std::string> hosts;
  for (const auto& use : policy.hosts) {
    if (use.secrets.count(name) != 0) hosts.push_back(use.host);
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

std::vector<ResolvedRecipient> resolve_recipients(const RecipientPolicy& policy,
                                                  const std::string& name) {
  std::vector<ResolvedRecipient> out;
  auto narrowed = policy.access.find(name);
  if (narrowed != policy.access.end()) {
    std::vector<std::string> names = narrowed->second;
    std::sort(names.begin(), names.end());
    for (const auto& recipient : names) {
      auto key = policy.recipients.find(recipient);
      if (key != policy.recipients.end()) add(out, recipient, key->second, "access");
    }
  } else {
    for (const auto& [recipient, key] : policy.recipients)
      add(out, recipient, key, "all recipients");
  }
  bool used = !hosts_using(policy, name).empty();
  if (used && policy.controller) {
    auto key = policy.recipients.find(*policy.controller);
    if (key != policy.recipients.end()) add(out, *policy.controller, key->second, "controller");
  }
  std::vector<const RecipientPolicy::HostUse*> hosts;
  for (const auto& use : policy.hosts) {
    if (use.secrets.count(name) != 0 && use.age_recipient) hosts.push_back(&use);
  }
  std::sort(hosts.begin(), hosts.end(),
            [](const auto* a, const auto* b) { return a->host < b->host; });
  for (const auto* use : hosts)
    add(out, kHostPrefix + use->host, *use->age_recipient, "age_recipient");
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    bool a_host = a.name.rfind(kHostPrefix, 0) == 0;
    bool b_host = b.name.rfind(kHostPrefix, 0) == 0;
    if (a_host != b_host) return !a_host;
    return a.name < b.name;
  });
  return out;
}

std::optional<std::string> secret_name_of_source(const std::string& path) {
  const std::string prefix = "secrets/";
  const std::string suffix = ".age";
  if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (!check_secret_name(name).empty()) return std::nullopt;
  return name;
}

std::string source_of_secret(const std::string& name) {
  return "secrets/" + name + ".age";
}

std::string check_secret_name(const std::string& name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  };
  auto alnum = [&](char c) { return allowed(c) && c != '-' && c != '_' && c != '.'; };
  // Each '/'-separated part (a secret may live in a folder under secrets/)
  // is a name; so no part is empty, ".", ".." or hidden.
  bool ok = !name.empty() && name.size() <= 200;
  size_t start = 0;
  while (ok) {
    size_t end = name.find('/', start);
    std::string part = name.substr(start, end == std::string::npos ? end : end - start);
    ok = !part.empty() && alnum(part[0]) && std::all_of(part.begin(), part.end(), allowed);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (!ok) return "a secret name of letters, digits and '-_.', starting with a letter or digit";
  return {};
}

}  // namespace reconcile::secrets
