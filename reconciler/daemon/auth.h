#pragma once

// Request authentication for the daemon's HTTP endpoints: GitHub-compatible
// webhook signatures (X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of
// the body, keyed with the shared secret) and bearer tokens for the API.
// Both compare in constant time (libsodium), and both fail closed: no secret
// configured means no request is ever accepted. Secrets live in
// SecureBuffers and are never logged or returned. Pure code.

#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile::daemon {

// Reads a secret from a file, without the trailing newline. Errors:
// kFailedPrecondition (cannot read), kInvalidArgument (empty, or readable by
// other users: a secret file must not be world-readable).
Result<secrets::SecureBuffer> read_secret_file(const std::string& path);

// True when `header` is "sha256=<hex>" and the hex is the HMAC-SHA256 of
// `body` under `secret`. False for an empty secret, whatever the header.
bool webhook_signature_valid(const secrets::SecureBuffer& secret, std::string_view body,
                             std::string_view header);

// True when `authorization` is "Bearer <token>" with the configured token.
// False for an empty token, whatever the header.
bool bearer_token_valid(const secrets::SecureBuffer& token, std::string_view authorization);

// Lower-case hex HMAC-SHA256 (for the header a sender computes; tests, bench).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace reconcile::daemon
