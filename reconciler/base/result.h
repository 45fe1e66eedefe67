#pragma once

// Result<T>: a value or an Error, named like std::expected (which g++ 12 does
// not offer under C++20). Errors propagate with TRY; code that cannot fail
// unless there is a bug uses MUST, which aborts with the message.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "reconciler/base/error.h"

namespace reconcile {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_storage(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, T> &&
           !std::is_same_v<std::decay_t<U>, Error> && !std::is_same_v<std::decay_t<U>, Result<T>>)
      Result(U&& value)
      : m_storage(std::in_place_index<0>, T(std::forward<U>(value))) {}
  Result(Error error) : m_storage(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return m_storage.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return checked_value(); }
  const T& value() const& { return const_cast<Result*>(this)->checked_value(); }
  T&& value() && { return std::move(checked_value()); }
  T release_value() { return std::move(checked_value()); }

  T* operator->() { return &checked_value(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked_value(); }
  T& operator*() & { return checked_value(); }
  const T& operator*() const& { return const_cast<Result*>(this)->checked_value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(m_storage) : static_cast<T>(std::forward<U>(fallback));
  }

  const Error& error() const& { return std::get<1>(m_storage); }
  Error& error() & { return std::get<1>(m_storage); }
  Error&& error() && { return std::move(std::get<1>(m_storage)); }

 private:
  T& checked_value() {
    if (!has_value()) {
      std::fprintf(stderr, "BUG: value() of a failed Result: %s\n",
                   std::get<1>(m_storage).message().c_str());
      std::abort();
    }
    return std::get<0>(m_storage);
  }

  std::variant<T, Error> m_storage;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)) {}

  bool has_value() const { return !m_error.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const {}
  void release_value() const {}

  const Error& error() const& { return *m_error; }
  Error& error() & { return *m_error; }
  Error&& error() && { return std::move(*m_error); }

 private:
  std::optional<Error> m_error;
};

using Status = Result<void>;

inline Status ok() {
  return {};
}

}  // namespace reconcile

// Evaluates a Result expression; on error returns the error from the
// enclosing function, otherwise yields the value.
#define TRY(...)                                                         \
  ({                                                                     \
    auto&& try_result_ = (__VA_ARGS__);                                  \
    if (!try_result_.has_value()) return std::move(try_result_).error(); \
    std::move(try_result_).release_value();                              \
  })

// Like TRY, but adds context to the error message on the way out.
#define TRY_CONTEXT(context, ...)                                                              \
  ({                                                                                           \
    auto&& try_result_ = (__VA_ARGS__);                                                        \
    if (!try_result_.has_value()) return std::move(try_result_).error().with_context(context); \
    std::move(try_result_).release_value();                                                    \
  })

// For results that cannot fail unless the program has a bug.
#define MUST(...)                                                  \
  ({                                                               \
    auto&& must_result_ = (__VA_ARGS__);                           \
    if (!must_result_.has_value()) {                               \
      std::fprintf(stderr, "BUG: %s:%d: %s\n", __FILE__, __LINE__, \
                   must_result_.error().message().c_str());        \
      std::abort();                                                \
    }                                                              \
    std::move(must_result_).release_value();                       \
  })

// Coroutines cannot use TRY: g++ 12 fails on co_return inside a statement
// expression. These statement macros do the same job inside a coroutine.
// CO_TRY_ASSIGN(name, expr) declares `name` with the value of the Result.
#define CO_TRY_ASSIGN(name, ...)                                                \
  auto name##_result_ = (__VA_ARGS__);                                          \
  if (!name##_result_.has_value()) co_return std::move(name##_result_).error(); \
  auto name = std::move(name##_result_).release_value()

// CO_TRY_STATUS(expr) returns the error of a failed Status from the coroutine.
#define CO_TRY_STATUS(...)                                                        \
  do {                                                                            \
    auto status_result_ = (__VA_ARGS__);                                          \
    if (!status_result_.has_value()) co_return std::move(status_result_).error(); \
  } while (false)
