#include "secrets/secret_file.h"

#include "secrets/age.h"
#include "secrets/io.h"
#include "secrets/output_file.h"

namespace reconcile::secrets {

namespace {

constexpr size_t kMaxKeyFileSize = 1024 * 1024;

// Collects plaintext in a SecureBuffer, refusing more than a limit.
class BoundedWriter : public Writer {
 public:
  BoundedWriter(SecureBuffer& buffer, size_t limit) : m_buffer(buffer), m_limit(limit) {}
  using Writer::write;
  Status write(const uint8_t* data, size_t size) override {
    if (size > m_limit - m_buffer.size()) {
      return invalid_argument("the plaintext is larger than " +
                              std::to_string(m_limit / (1024 * 1024)) + " MiB");
    }
    m_buffer.append(data, size);
    return ok();
  }

 private:
  SecureBuffer& m_buffer;
  size_t m_limit;
};

Result<IdentityList> read_identity_file(const std::string& path) {
  SecureBuffer text = TRY(read_small_file(path, kMaxKeyFileSize));
  return parse_identity_file(text, path);
}

std::vector<const Identity*> pointers_of(const IdentityList& identities) {
  std::vector<const Identity*> pointers;
  for (const auto& identity : identities)
    pointers.push_back(identity.get());
  return pointers;
}

}  // namespace

Result<IdentityList> read_identity_files(const std::vector<std::string>& paths) {
  IdentityList identities;
  for (const auto& path : paths) {
    for (auto& identity : TRY(read_identity_file(path)))
      identities.push_back(std::move(identity));
  }
  return identities;
}

Result<SecureBuffer> decrypt_to_buffer(std::string_view ciphertext, const IdentityList& identities,
                                       size_t max_size) {
  MemoryReader reader(ciphertext);
  SecureBuffer plaintext;
  BoundedWriter writer(plaintext, max_size);
  auto pointers = pointers_of(identities);
  TRY(decrypt(pointers, reader, writer));
  return plaintext;
}

Result<RecipientList> parse_resolved(const std::vector<ResolvedRecipient>& recipients) {
  RecipientList out;
  for (const auto& recipient : recipients) {
    auto parsed = parse_recipient(recipient.key);
    if (!parsed) return std::move(parsed).error().with_context("recipient " + recipient.name);
    out.push_back(std::move(*parsed));
  }
  return out;
}

Status write_secret_file(const std::string& path, const SecureBuffer& plaintext,
                         const RecipientList& recipients, bool armor) {
  std::vector<const Recipient*> pointers;
  for (const auto& recipient : recipients)
    pointers.push_back(recipient.get());
  AtomicOutputFile file = TRY(AtomicOutputFile::create(path, 0644));
  MemoryReader reader(std::span<const uint8_t>(plaintext.data(), plaintext.size()));
  TRY(encrypt(pointers, reader, file.writer(), armor));
  return file.commit(ReplaceMode::kReplace);
}

bool looks_armored(std::string_view bytes) {
  size_t start = bytes.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos &&
         bytes.substr(start).starts_with("-----BEGIN AGE ENCRYPTED FILE-----");
}

}  // namespace reconcile::secrets
