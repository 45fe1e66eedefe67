#include "secrets/store.h"

namespace reconcile::secrets {

void SecretStore::add(const std::string& source, Result<SecureBuffer> plaintext) {
  Entry entry;
  if (plaintext) {
    entry.plaintext = std::make_shared<const SecureBuffer>(std::move(*plaintext));
  } else {
    entry.error = plaintext.error().message();
  }
  m_entries[source] = std::move(entry);
}

const SecretStore::Entry* SecretStore::find(const std::string& source) const {
  auto it = m_entries.find(source);
  return it == m_entries.end() ? nullptr : &it->second;
}

}  // namespace reconcile::secrets
