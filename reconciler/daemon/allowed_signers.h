#pragma once

// git's allowed-signers file (gpg.ssh.allowedSignersFile), which is
// OpenSSH's format (ssh-keygen(1), "ALLOWED SIGNERS"): one key per line,
//
//   principals [options] keytype base64-key [comment]
//
// principals: comma-separated (double quotes allow spaces); options:
// comma-separated `namespaces="git,file"`, `valid-after=TIME`,
// `valid-before=TIME` (TIME: YYYYMMDD[HHMM[SS]], a trailing Z for UTC,
// else local time) and `cert-authority`. Blank lines and `#` comments are
// ignored. Pure code.
//
// Differences from ssh-keygen, on purpose: a line that cannot be parsed is an
// error for the whole file (a typo must not silently drop a trust rule), and
// `cert-authority` lines never match, because only plain ed25519 keys are
// verified (no certificates).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "reconciler/transport/host_key.h"

namespace reconcile::daemon {

struct AllowedSigner {
  std::vector<std::string> principals;
  std::vector<std::string> namespaces;  // empty: any namespace
  std::optional<int64_t> valid_after;   // unix seconds
  std::optional<int64_t> valid_before;
  bool cert_authority = false;
  transport::PublicKey key;
  int line = 0;
};

class AllowedSigners {
 public:
  // Errors: kInvalidArgument "FILE:LINE:COL: reason" for the first bad line.
  static Result<AllowedSigners> parse(std::string_view text, const std::string& file_name);
  // Errors: kFailedPrecondition when the file cannot be read; parse errors.
  static Result<AllowedSigners> load(const std::string& path);

  // The principals (comma-joined) allowed to sign with `key` in `name_space`
  // at unix time `at`. kUnauthenticated with the reason otherwise: the key is
  // not listed, listed only for other namespaces, not yet or no longer valid.
  Result<std::string> find(const transport::PublicKey& key, std::string_view name_space,
                           int64_t at) const;

  const std::vector<AllowedSigner>& signers() const { return m_signers; }

 private:
  std::vector<AllowedSigner> m_signers;
};

// A TIME of an allowed-signers option as unix seconds, or nullopt when
// malformed.
std::optional<int64_t> parse_signer_time(std::string_view text);

}  // namespace reconcile::daemon
