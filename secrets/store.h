#pragma once

// The controller's decrypted secrets for one run, in memory only. The
// command that applies a plan fills it (every source the selected hosts
// use, decrypted with the controller's identity) and the secrets module
// reads it while planning. A source that could not be decrypted is kept
// with the reason, so that the hosts using it can say why they refuse to
// plan while other hosts go on.
//
// Plaintext is held in SecureBuffers shared with the changes that stream
// it to hosts; nothing here prints, logs or writes it.

#include <map>
#include <memory>
#include <string>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::secrets {

class SecretStore {
 public:
  struct Entry {
    std::shared_ptr<const SecureBuffer> plaintext;  // null when it failed
    std::string error;                              // why it failed
  };

  // Records the outcome of decrypting `source` (a repo path).
  void add(const std::string& source, Result<SecureBuffer> plaintext);

  // The entry for `source`, or null when it was never added.
  const Entry* find(const std::string& source) const;

  bool contains(const std::string& source) const { return find(source) != nullptr; }
  size_t size() const { return m_entries.size(); }

 private:
  std::map<std::string, Entry> m_entries;
};

}  // namespace reconcile::secrets
