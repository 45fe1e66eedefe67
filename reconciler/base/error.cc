#include "reconciler/base/error.h"

#include <cerrno>
#include <cstring>

namespace reconcile {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kDeadlineExceeded:
      return "deadline exceeded";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kDataLoss:
      return "data loss";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

Error& Error::add_context(std::string_view context) {
  std::string joined(context);
  joined += ": ";
  joined += m_message;
  m_message = std::move(joined);
  return *this;
}

Error invalid_argument(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}
Error not_found(std::string message) {
  return Error(ErrorCode::kNotFound, std::move(message));
}
Error failed_precondition(std::string message) {
  return Error(ErrorCode::kFailedPrecondition, std::move(message));
}
Error unavailable(std::string message) {
  return Error(ErrorCode::kUnavailable, std::move(message));
}
Error deadline_exceeded(std::string message) {
  return Error(ErrorCode::kDeadlineExceeded, std::move(message));
}
Error internal_error(std::string message) {
  return Error(ErrorCode::kInternal, std::move(message));
}
Error data_loss(std::string message) {
  return Error(ErrorCode::kDataLoss, std::move(message));
}
Error permission_denied(std::string message) {
  return Error(ErrorCode::kPermissionDenied, std::move(message));
}
Error unauthenticated(std::string message) {
  return Error(ErrorCode::kUnauthenticated, std::move(message));
}

Error system_error(std::string message, int errno_value) {
  message += ": ";
  message += std::strerror(errno_value);
  ErrorCode code = ErrorCode::kInternal;
  switch (errno_value) {
    case ENOENT:
      code = ErrorCode::kNotFound;
      break;
    case EACCES:
    case EPERM:
      code = ErrorCode::kPermissionDenied;
      break;
    case EEXIST:
      code = ErrorCode::kAlreadyExists;
      break;
    case EAGAIN:
    case EINTR:
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
    case ENETUNREACH:
      code = ErrorCode::kUnavailable;
      break;
    case ETIMEDOUT:
      code = ErrorCode::kDeadlineExceeded;
      break;
    case EINVAL:
      code = ErrorCode::kInvalidArgument;
      break;
    default:
      break;
  }
  return Error(code, std::move(message));
}

}  // namespace reconcile
