// cairn::Result<T>: a value or an Error, must be used.
//
//   Result<int> ParsePort(std::string_view s);
//   CAIRN_ASSIGN_OR_RETURN(int port, ParsePort(text));   // returns the error upward
//   CAIRN_TRY(WriteFile(path, data));                    // Result<void>
//   return Result<void>::Ok();  or  return {};
// Add context at boundaries: `if (!r) return std::move(r).error().Context("...")`
// or use CAIRN_TRY_CTX(expr, "what I was doing").
#pragma once

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

#include "cairn/error.h"

namespace cairn {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Error& error() & { assert(!ok()); return std::get<1>(v_); }
  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT: implicit by design
  static Result Ok() { return Result(); }

  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  Error& error() & { assert(!ok()); return *e_; }
  const Error& error() const& { assert(!ok()); return *e_; }
  Error&& error() && { assert(!ok()); return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

}  // namespace cairn

#define CAIRN_CONCAT_INNER_(a, b) a##b
#define CAIRN_CONCAT_(a, b) CAIRN_CONCAT_INNER_(a, b)

/// Evaluates `expr` (a Result); on error returns the error from the enclosing function.
#define CAIRN_TRY(expr)                                    \
  do {                                                     \
    auto cairn_try_result_ = (expr);                       \
    if (!cairn_try_result_.ok())                           \
      return std::move(cairn_try_result_).error();         \
  } while (0)

/// Like CAIRN_TRY but adds a context string to the error on the way out.
#define CAIRN_TRY_CTX(expr, ctx)                                   \
  do {                                                             \
    auto cairn_try_result_ = (expr);                               \
    if (!cairn_try_result_.ok())                                   \
      return std::move(cairn_try_result_).error().Context(ctx);    \
  } while (0)

#define CAIRN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).error();      \
  lhs = std::move(tmp).value()

/// `CAIRN_ASSIGN_OR_RETURN(auto x, Compute());` declares x from the value or returns the error.
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL_(CAIRN_CONCAT_(cairn_result_, __LINE__), lhs, expr)
