#pragma once

// Who a secret is encrypted to. reconcile.yaml declares named recipients
// (admins and the controller), which secret is readable by whom (`access`
// narrows a secret to some of them), and hosts may declare their own
// `age_recipient` so that they can decrypt the secrets they use. This file
// turns that declaration, as plain data, into the recipient list of one
// secret. Pure: no file, no host.
//
// The rule, for a secret NAME (the file secrets/NAME.age):
//   1. the recipients named in `access[NAME]`, or every declared recipient
//      when `access` does not mention NAME;
//   2. plus the controller when at least one host uses the secret (the
//      controller must decrypt it to deliver it), even if `access` leaves it
//      out;
//   3. plus the `age_recipient` of every host that uses the secret.
// A key listed twice (an admin who is also a host's key) appears once, with
// every reason.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace reconcile::secrets {

struct RecipientPolicy {
  std::map<std::string, std::string> recipients;           // name -> "age1…" or an ssh public key
  std::optional<std::string> controller;                   // a name in `recipients`
  std::map<std::string, std::vector<std::string>> access;  // secret -> recipient names

  struct HostUse {
    std::string host;
    std::optional<std::string> age_recipient;
    std::set<std::string> secrets;  // names of the secrets the host uses
  };
  std::vector<HostUse> hosts;
};

struct ResolvedRecipient {
  std::string name;                  // "alice", or "host web1" for a host's own key
  std::string key;                   // the recipient as reconcile.yaml or the host file gives it
  std::vector<std::string> reasons;  // "all recipients", "access", "controller", "age_recipient"
};

// The recipients of secret `name`, sorted by name (declared names first,
// then hosts). Empty when nothing is declared.
std::vector<ResolvedRecipient> resolve_recipients(const RecipientPolicy& policy,
                                                  const std::string& name);

// The hosts that use secret `name`, sorted.
std::vector<std::string> hosts_using(const RecipientPolicy& policy, const std::string& name);

// The secret name of a source path "secrets/NAME.age", or nullopt for any
// other path.
std::optional<std::string> secret_name_of_source(const std::string& path);

// The source path of secret `name`: "secrets/NAME.age".
std::string source_of_secret(const std::string& name);

// Empty when `name` is a valid secret name (letters, digits, '-', '_' and
// '.', starting with a letter or digit, at most 200 bytes), else what is
// expected. Folders are allowed ("db/password"), nothing that could
// escape secrets/.
std::string check_secret_name(const std::string& name);

}  // namespace reconcile::secrets
