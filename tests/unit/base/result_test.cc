#include "reconciler/base/result.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace reconcile;

namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return invalid_argument("not positive: " + std::to_string(value));
  return value;
}

Result<int> doubled(int value) {
  int checked = TRY(parse_positive(value));
  return checked * 2;
}

Status check_both(int a, int b) {
  TRY(parse_positive(a));
  TRY_CONTEXT("second", parse_positive(b));
  return ok();
}

Result<std::unique_ptr<int>> make_unique_value(int value) {
  return std::make_unique<int>(value);
}

Result<int> unwrap_unique(int value) {
  std::unique_ptr<int> pointer = TRY(make_unique_value(value));
  return *pointer;
}

}  // namespace

TEST_CASE("TRY yields the value or returns the error") {
  CHECK(doubled(4).value() == 8);
  Result<int> failed = doubled(-1);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code() == ErrorCode::kInvalidArgument);
  CHECK(failed.error().message() == "not positive: -1");
}

TEST_CASE("TRY_CONTEXT prefixes the message") {
  CHECK(check_both(1, 2).has_value());
  Status failed = check_both(1, 0);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().message() == "second: not positive: 0");
}

TEST_CASE("Result holds move-only values") {
  CHECK(unwrap_unique(7).value() == 7);
}

TEST_CASE("Result converts from values constructible into T") {
  Result<std::string> text = "literal";
  CHECK(*text == "literal");
  CHECK(Result<std::string>(not_found("x")).value_or("fallback") == "fallback");
}

TEST_CASE("retryable codes are exactly the transient ones") {
  CHECK(unavailable("x").is_retryable());
  CHECK(deadline_exceeded("x").is_retryable());
  CHECK_FALSE(invalid_argument("x").is_retryable());
  CHECK_FALSE(failed_precondition("x").is_retryable());
  CHECK_FALSE(internal_error("x").is_retryable());
}

TEST_CASE("system_error maps errno to a code") {
  CHECK(system_error("open", ENOENT).code() == ErrorCode::kNotFound);
  CHECK(system_error("connect", ECONNREFUSED).is_retryable());
  CHECK(system_error("open", ENOENT).message() == "open: No such file or directory");
}
