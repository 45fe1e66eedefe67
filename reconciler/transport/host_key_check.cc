#include "reconciler/transport/host_key_check.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "reconciler/transport/known_hosts.h"

namespace reconcile::transport {

namespace {

// What libssh2 1.10 (OpenSSL) can verify, in OpenSSH's order of preference.
// DSA is left out on purpose. Certificates are not used.
const std::vector<std::string> kHostKeyMethods = {
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"};

std::string where(const HostKeyPolicy& policy) {
  return policy.host_name + " (" + policy.address + ":" + std::to_string(policy.port) + ")";
}

std::string describe_key(const PublicKey& key) {
  return key_type_label(key.type) + " " + fingerprint_sha256(key.blob);
}

Error changed(const HostKeyPolicy& policy, const std::string& expected, const PublicKey& got,
              const std::string& remedy) {
  return unauthenticated("HOST KEY CHANGED for " + where(policy) + ": expected " + expected +
                         ", got " + describe_key(got) +
                         " — possible man-in-the-middle; refusing to connect. " + remedy);
}

// libssh2 1.10 verifies RSA host keys only with SHA-1 signatures
// ("ssh-rsa"), which OpenSSH 8.8 and later no longer offer; such a server
// then shows another key type. That is not an attack, and saying "changed"
// would teach people to ignore the warning.
std::optional<Error> rsa_only(const HostKeyPolicy& policy, const std::vector<PublicKey>& expected,
                              const PublicKey& presented, const std::string& where_pinned) {
  if (presented.type == "ssh-rsa" || expected.empty()) return std::nullopt;
  for (const PublicKey& key : expected) {
    if (key.type != "ssh-rsa") return std::nullopt;
  }
  return unauthenticated("the RSA host key " + where_pinned + " for " + where(policy) +
                         " cannot be checked: libssh2 1.10 verifies RSA host keys only with "
                         "SHA-1, which the server does not offer. The server showed " +
                         describe_key(presented) + "; check that key and record it instead");
}

Status verify_pinned(const HostKeyPolicy& policy, const PublicKey& presented) {
  auto pinned = parse_public_key(policy.pinned_key);
  if (!pinned.has_value()) {
    return std::move(pinned).error().with_context(policy.host_name + ": ssh.host_key");
  }
  if (pinned->blob == presented.blob) return ok();
  if (auto error = rsa_only(policy, {*pinned}, presented, "pinned in ssh.host_key")) return *error;
  return changed(policy, describe_key(*pinned), presented,
                 "If the host was reinstalled, update ssh.host_key in its host file.");
}

}  // namespace

Status verify_host_key(const HostKeyPolicy& policy, const PublicKey& presented) {
  if (!policy.pinned_key.empty()) return verify_pinned(policy, presented);
  auto known = KnownHosts::load(policy.known_hosts_file);
  if (!known.has_value()) return std::move(known).error();
  HostKeyCheck check = known->check(policy.address, policy.port, presented);
  std::string file = policy.known_hosts_file;
  switch (check.status) {
    case HostKeyCheck::Status::kMatch:
      return ok();
    case HostKeyCheck::Status::kRevoked:
      return unauthenticated("host key of " + where(policy) + " is marked @revoked in " + file +
                             ":" + std::to_string(check.known[0].line) + ": " +
                             describe_key(presented));
    case HostKeyCheck::Status::kChanged: {
      std::vector<PublicKey> known_keys;
      for (const KnownHostEntry& entry : check.known)
        known_keys.push_back(entry.key);
      if (auto error = rsa_only(policy, known_keys, presented, "in " + file)) return *error;
      std::vector<std::string> expected;
      for (const KnownHostEntry& entry : check.known) {
        expected.push_back(describe_key(entry.key) + " (" + file + ":" +
                           std::to_string(entry.line) + ")");
      }
      std::string name = known_hosts_name(policy.address, policy.port);
      return changed(policy, join(expected, ", "), presented,
                     "If the host was reinstalled, remove the old key with: ssh-keygen -R " +
                         shell_quote(name) + " -f " + shell_quote(file));
    }
    case HostKeyCheck::Status::kUnknown:
      break;
  }
  for (uint16_t other_port : policy.same_host_ports) {
    if (other_port == policy.port) continue;
    HostKeyCheck other = known->check(policy.address, other_port, presented);
    if (other.status == HostKeyCheck::Status::kMatch) return ok();
  }
  if (!policy.accept_new) {
    return unauthenticated(
        "unknown host key for " + where(policy) + ": " + key_type_label(presented.type) +
        " key fingerprint is " + fingerprint_sha256(presented.blob) + "; check it, then pin it " +
        "(ssh.host_key) or add it to " + file + ", or run with --accept-new-host-keys");
  }
  return record_known_host(file, policy.address, policy.port, presented);
}

std::string host_key_methods(const HostKeyPolicy& policy) {
  std::vector<std::string> first;
  if (!policy.pinned_key.empty()) {
    auto pinned = parse_public_key(policy.pinned_key);
    if (pinned.has_value()) first.push_back(pinned->type);
  } else {
    auto known = KnownHosts::load(policy.known_hosts_file);
    if (known.has_value()) first = known->key_types(policy.address, policy.port);
  }
  std::vector<std::string> methods;
  for (const std::string& type : first) {
    if (std::find(kHostKeyMethods.begin(), kHostKeyMethods.end(), type) != kHostKeyMethods.end()) {
      methods.push_back(type);
    }
  }
  for (const std::string& type : kHostKeyMethods) {
    if (std::find(methods.begin(), methods.end(), type) == methods.end()) methods.push_back(type);
  }
  return join(methods, ",");
}

}  // namespace reconcile::transport
