#pragma once

#include <string>
#include <string_view>

namespace reconcile {

// What went wrong, phrased so that the caller knows what to do next:
// retry later (kUnavailable, kDeadlineExceeded), fix the input
// (kInvalidArgument, kNotFound), or wait for someone to fix the world
// (kFailedPrecondition, kPermissionDenied, ...).
enum class ErrorCode {
  kInvalidArgument,     // the input is wrong; retrying cannot help
  kNotFound,            // a named thing does not exist
  kAlreadyExists,       // a thing that must be new already exists
  kFailedPrecondition,  // the world is not in a state where this can work
  kPermissionDenied,    // authenticated, but not allowed
  kUnauthenticated,     // identity could not be established (keys, host keys)
  kUnavailable,         // transient: network, SSH, git fetch; retry with backoff
  kDeadlineExceeded,    // a timeout; retry with backoff
  kCancelled,           // stopped on request (signal, shutdown)
  kDataLoss,            // corrupt data (a truncated file, a bad MAC)
  kInternal,            // a bug or an unexpected failure of a library
};

std::string_view error_code_name(ErrorCode code);

// An error as a value. Cheap to move; carries a human-readable message that
// grows context as it propagates ("web1: probe: connection refused").
class Error {
 public:
  Error(ErrorCode code, std::string message) : m_code(code), m_message(std::move(message)) {}

  ErrorCode code() const { return m_code; }
  const std::string& message() const { return m_message; }

  // True for the transient codes that are worth retrying with backoff.
  bool is_retryable() const {
    return m_code == ErrorCode::kUnavailable || m_code == ErrorCode::kDeadlineExceeded;
  }

  // Prefixes the message with "context: ". Returns *this for chaining.
  Error& add_context(std::string_view context);
  Error with_context(std::string_view context) && {
    add_context(context);
    return std::move(*this);
  }

 private:
  ErrorCode m_code;
  std::string m_message;
};

Error invalid_argument(std::string message);
Error not_found(std::string message);
Error failed_precondition(std::string message);
Error unavailable(std::string message);
Error deadline_exceeded(std::string message);
Error internal_error(std::string message);
Error data_loss(std::string message);
Error permission_denied(std::string message);
Error unauthenticated(std::string message);

// An error from a failed system call: the message plus strerror(errno_value).
Error system_error(std::string message, int errno_value);

}  // namespace reconcile
