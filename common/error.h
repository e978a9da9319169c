#pragma once
// Errors as values for low-level code (STYLE.md §2): an Error carries errno (or 0)
// and a context chain such as "write 64M to memory.max: invalid argument".

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace skiff::common {

class Error {
 public:
  explicit Error(std::string message, int code = 0) : message_(std::move(message)), code_(code) {}

  /// "context: <strerror(code)>", with strerror's first letter lowercased.
  static Error from_errno(std::string_view context, int code = errno);

  const std::string& message() const { return message_; }
  /// The errno that caused the failure, or 0 if it was not a system call.
  int code() const { return code_; }

  /// Prepends an outer context: "outer: inner".
  Error context(std::string_view outer) const&;
  Error context(std::string_view outer) &&;

 private:
  std::string message_;
  int code_;
};

/// std::expected-like result (C++20 has none). T must not be Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_{""};
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace skiff::common
