#include "gateway/api/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace veikart {
namespace {

// Beyond this many callers, buckets that have refilled completely (idle callers) are dropped.
constexpr std::size_t kMaxBuckets = 10'000;

}  // namespace

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(std::max(1.0, burst > 0 ? burst : per_second)) {}

std::optional<std::chrono::seconds> RateLimiter::take(const std::string& caller, Clock::time_point now) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto refill = [&](Bucket& b) {
    const double elapsed = std::chrono::duration<double>(now - b.at).count();
    if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.at = std::max(b.at, now);
  };
  if (buckets_.size() >= kMaxBuckets && !buckets_.count(caller)) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second);
      it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(caller, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) refill(b);
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  const double wait = (1.0 - b.tokens) / per_second_;
  return std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(wait))));
}

}  // namespace veikart
