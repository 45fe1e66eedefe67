#pragma once

// OpenSSH known_hosts files: parsing, matching a host's key, and recording a
// new key. Own code rather than libssh2's knownhost API: libssh2 1.10 reads
// markers as host names (`@revoked 10.0.0.2 KEY` becomes an entry for the
// host "@revoked", so a revoked key would never be refused), and its check
// cannot tell "other key types are known" apart from "unknown".
//
// Supported as OpenSSH does: hashed names (`|1|salt|hash`, HMAC-SHA1),
// `[host]:port` for ports other than 22, comma-separated patterns with `*`,
// `?` and negation `!`, `@revoked` keys (refused), and `@cert-authority`
// lines (ignored: the transport does not use host certificates).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::transport {

// The name a host is filed under: "host" for port 22, "[host]:port" else,
// lowercased as OpenSSH does.
std::string known_hosts_name(std::string_view host, uint16_t port);

// Whether a host field (one hashed name, or a comma-separated pattern list)
// matches `name` (as made by known_hosts_name).
bool host_field_matches(std::string_view field, std::string_view name);

struct KnownHostEntry {
  enum class Marker { kNone, kRevoked, kCertAuthority };
  Marker marker = Marker::kNone;
  std::string hosts;  // the host field as written
  PublicKey key;
  int line = 0;
};

struct HostKeyCheck {
  enum class Status {
    kMatch,    // a known key for this host equals the key
    kUnknown,  // no key of any type is known for this host
    kChanged,  // keys are known for this host, none equals the key
    kRevoked,  // the key is marked @revoked
  };
  Status status = Status::kUnknown;
  std::vector<KnownHostEntry> known;  // for kChanged: the entries for this host
};

class KnownHosts {
 public:
  // Parses a known_hosts file's text. Lines that cannot be parsed are
  // skipped, as ssh does, each with a warning "FILE:LINE: reason".
  static KnownHosts parse(std::string_view text, std::string_view file_name);
  // Reads and parses `path`; a missing file is an empty list. Errors:
  // kFailedPrecondition when the file exists but cannot be read.
  static Result<KnownHosts> load(const std::string& path);

  HostKeyCheck check(std::string_view host, uint16_t port, const PublicKey& key) const;
  // The key types known for a host, in file order, without duplicates.
  std::vector<std::string> key_types(std::string_view host, uint16_t port) const;

  const std::vector<KnownHostEntry>& entries() const { return m_entries; }
  const std::vector<std::string>& warnings() const { return m_warnings; }

 private:
  std::vector<KnownHostEntry> m_entries;
  std::vector<std::string> m_warnings;
};

// A hashed entry line (no newline): "|1|SALT|HASH TYPE BASE64". `salt` is 20
// random bytes; passed in so that tests are deterministic.
std::string hashed_known_hosts_line(std::string_view host, uint16_t port, const PublicKey& key,
                                    std::string_view salt);

// Appends a hashed entry for the host to `path` (creating the file 0600, and
// its directory 0700, if missing). Errors: kFailedPrecondition with the
// system's reason.
Status record_known_host(const std::string& path, std::string_view host, uint16_t port,
                         const PublicKey& key);

}  // namespace reconcile::transport
