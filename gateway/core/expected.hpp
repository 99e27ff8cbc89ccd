#pragma once
/// @brief A value or an error message: how data-plane failures travel (no exceptions on the data path).

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace veikart {

struct Error {
  std::string message;
  int status = 0;  // optional numeric detail, e.g. an upstream HTTP status
  /// How long an upstream asked to be left alone (its Retry-After), when it said so.
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
};

template <class T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Expected(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace veikart
