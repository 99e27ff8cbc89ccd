#pragma once
/// @brief Token buckets per caller (a client, or a remote address for anonymous requests).

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace veikart {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  /// `per_second` tokens are added each second up to `burst`; a request takes one. per_second <= 0: no limit.
  RateLimiter(double per_second, double burst);

  bool enabled() const { return per_second_ > 0; }
  /// Takes a token for `caller`: nothing when allowed, otherwise the seconds until one is available (>= 1).
  std::optional<std::chrono::seconds> take(const std::string& caller, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point at;
  };
  double per_second_;
  double burst_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace veikart
