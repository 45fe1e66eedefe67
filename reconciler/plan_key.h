#pragma once

// The key that signs saved plans. It lives in the state directory
// (default /var/lib/reconcile) as `plan.key`: 64 hex characters, mode 0600,
// created on first use. A plan carries an HMAC-SHA256 of its content under
// this key, so a plan cannot be edited by hand into something that was never
// reviewed, and a plan made with another key (another controller, a CI job
// without the key) is told apart from a modified one by the key id.
//
// The same key also digests secret plaintext for plans (a keyed digest, so a
// plan file never allows an offline guess of a low-entropy secret).
// Key bytes live only in a SecureBuffer.

#include <memory>
#include <string>
#include <string_view>

#include "reconciler/base/result.h"
#include "secrets/secure_buffer.h"

namespace reconcile {

class PlanKey {
 public:
  // Reads STATE_DIR/plan.key, creating the directory (0700) and the key
  // (0600, from the system's CSPRNG) when they do not exist. Two processes
  // creating it at once end with the same key. Errors: kPermissionDenied
  // (cannot read or create), kFailedPrecondition (the key file is readable
  // by group or others, or not a regular file), kDataLoss (not 64 hex
  // characters).
  static Result<PlanKey> load_or_create(const std::string& state_dir);

  // Reads STATE_DIR/plan.key without creating it: kNotFound when it does not
  // exist (a plan can only be checked with the key that signed it).
  static Result<PlanKey> load(const std::string& state_dir);

  // A key from raw bytes (tests). `bytes` must be 32 bytes.
  static PlanKey from_bytes(std::string_view bytes);

  // 16 hex characters that name the key without revealing it.
  std::string id() const;

  // HMAC-SHA256 of `message`, lower-case hex.
  std::string mac(std::string_view message) const;

  // True when `mac_hex` is the HMAC of `message` (constant-time).
  bool verify(std::string_view message, std::string_view mac_hex) const;

  // "hmac-sha256:<hex>" of secret bytes, domain-separated from plan MACs.
  std::string secret_digest(std::string_view secret) const;

  static constexpr const char* kFileName = "plan.key";

 private:
  explicit PlanKey(std::shared_ptr<const secrets::SecureBuffer> bytes)
      : m_bytes(std::move(bytes)) {}

  std::shared_ptr<const secrets::SecureBuffer> m_bytes;
};

// Constant-time equality of two strings of the same length (digests, MACs);
// false when the lengths differ.
bool equal_digests(std::string_view a, std::string_view b);

}  // namespace reconcile
