#pragma once
/// @brief Webhook delivery settings (the config's `subscriptions:` block).

#include <chrono>
#include <string>
#include <vector>

namespace veikart {

struct WebhookSettings {
  /// Delay before each retry; a delivery gets 1 + size() attempts (default ≈ 27 h in all).
  std::vector<std::chrono::seconds> retry_schedule = {
      std::chrono::seconds(5), std::chrono::minutes(5), std::chrono::minutes(30), std::chrono::hours(2),
      std::chrono::hours(5),   std::chrono::hours(10),  std::chrono::hours(10)};
  std::chrono::seconds timeout{15};                 // per attempt
  std::chrono::seconds max_retry_after{24 * 3600};  // a receiver's Retry-After is honoured up to this
  /// Hosts or addresses deliveries may reach although they are not public https (e.g. "127.0.0.1" in tests).
  std::vector<std::string> allow_hosts;
  int max_per_owner = 100;
};

}  // namespace veikart
