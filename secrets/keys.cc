#include "secrets/keys.h"

#include <ctime>

#include "secrets/ssh_ed25519.h"

namespace reconcile::secrets {
namespace {

std::string_view trim(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

// Calls `visit(line, number)` for every line that is not blank or a comment.
template <typename Visit>
Status for_each_entry(std::string_view text, Visit visit) {
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.empty() || line.front() == '#') continue;
    TRY(visit(line, number));
  }
  return ok();
}

std::string where(std::string_view file_name, size_t line) {
  return std::string(file_name) + ":" + std::to_string(line);
}

}  // namespace

Result<std::unique_ptr<Recipient>> parse_recipient(std::string_view text) {
  text = trim(text);
  if (text.starts_with("age1")) {
    X25519Recipient recipient = TRY(X25519Recipient::parse(text));
    return std::unique_ptr<Recipient>(std::make_unique<X25519Recipient>(recipient));
  }
  if (text.starts_with("ssh-")) {
    SshEd25519Recipient recipient = TRY(SshEd25519Recipient::parse(text));
    return std::unique_ptr<Recipient>(std::make_unique<SshEd25519Recipient>(std::move(recipient)));
  }
  if (text.starts_with("AGE-SECRET-KEY-")) {
    return invalid_argument("this is an identity (secret key), not a recipient");
  }
  return invalid_argument("unknown recipient type (want age1… or an ssh-ed25519 public key)");
}

Result<RecipientList> parse_recipients_file(std::string_view text, std::string_view file_name) {
  RecipientList recipients;
  TRY(for_each_entry(text, [&](std::string_view line, size_t number) -> Status {
    auto recipient = parse_recipient(line);
    if (!recipient) return std::move(recipient).error().with_context(where(file_name, number));
    recipients.push_back(std::move(*recipient));
    return ok();
  }));
  if (recipients.empty()) return invalid_argument(std::string(file_name) + ": no recipients");
  return recipients;
}

Result<IdentityList> parse_identity_file(const SecureBuffer& text, std::string_view file_name) {
  IdentityList identities;
  if (looks_like_pem_private_key(text.view())) {
    auto identity = SshEd25519Identity::parse(text.view());
    if (!identity) return std::move(identity).error().with_context(file_name);
    identities.push_back(std::make_unique<SshEd25519Identity>(std::move(*identity)));
    return identities;
  }
  TRY(for_each_entry(text.view(), [&](std::string_view line, size_t number) -> Status {
    if (line.starts_with("age1") || line.starts_with("ssh-")) {
      return invalid_argument(where(file_name, number) +
                              ": this is a recipient (public key), not an identity");
    }
    auto identity = X25519Identity::parse(line);
    if (!identity) return std::move(identity).error().with_context(where(file_name, number));
    identities.push_back(std::make_unique<X25519Identity>(std::move(*identity)));
    return ok();
  }));
  if (identities.empty()) return invalid_argument(std::string(file_name) + ": no identities");
  return identities;
}

SecureBuffer format_identity_file(const X25519Identity& identity) {
  char created[32];
  std::time_t now = std::time(nullptr);
  std::tm utc;
  gmtime_r(&now, &utc);
  std::strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
  std::string head = std::string("# created: ") + created +
                     "\n# public key: " + identity.recipient().to_string() + "\n";
  SecureBuffer text(head.data(), head.size());
  SecureBuffer secret = identity.to_secret_string();
  text.append(secret.data(), secret.size());
  text.append("\n", 1);
  return text;
}

}  // namespace reconcile::secrets
