#pragma once

// Recipients and identities from text: what `-r`, `-R` and `-i` accept.
// Pure functions; reading the files is the caller's job.
//
// Recipients: "age1…" (X25519) or an OpenSSH public key line
// ("ssh-ed25519 AAAA… [comment]"). Identity files: age X25519 identities,
// one per line, with blank lines and '#' comments (as age-keygen writes
// them), or one unencrypted OpenSSH ssh-ed25519 private key.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"
#include "secrets/stanza.h"
#include "secrets/x25519.h"

namespace reconcile::secrets {

using RecipientList = std::vector<std::unique_ptr<Recipient>>;
using IdentityList = std::vector<std::unique_ptr<Identity>>;

// Parses one recipient. Fails with kInvalidArgument saying what is wrong
// (for example "ssh-rsa keys are not supported", "bad Bech32 checksum").
Result<std::unique_ptr<Recipient>> parse_recipient(std::string_view text);

// Parses a recipients file: one recipient per line; blank lines and lines
// starting with '#' are skipped. Errors read "FILE:LINE: ...". A file
// without any recipient is an error too.
Result<RecipientList> parse_recipients_file(std::string_view text, std::string_view file_name);

// Parses an identity file (its bytes are secret, hence the SecureBuffer).
// Errors read "FILE:LINE: ..." and never quote the file's content. A file
// without any identity is an error.
Result<IdentityList> parse_identity_file(const SecureBuffer& text, std::string_view file_name);

// The text of a new identity file for `identity`, as age-keygen writes it:
// "# created: <UTC time>", "# public key: age1…", then the secret key line.
SecureBuffer format_identity_file(const X25519Identity& identity);

}  // namespace reconcile::secrets
