#pragma once
/// @brief Webhooks: signing per the Standard Webhooks convention and the dispatcher that delivers the persisted
/// outbox at least once, with retries, Retry-After, 410 handling and a dead-letter status.
///
/// Flow: every active subscription has a cursor into the change log; the dispatcher turns the changes after it
/// that pass the subscription's filters into `pending` deliveries (moving the cursor in the same transaction),
/// then sends due deliveries. A delivery is `delivered` on a 2xx answer, is retried on the configured schedule
/// otherwise, and ends `failed` (the dead-letter list) when the schedule is used up; a replay makes it pending
/// again. A new subscription first gets a signed `subscription.verify` event and becomes active when the
/// receiver answers it with 2xx.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/core/fetch.hpp"
#include "gateway/store/store.hpp"
#include "gateway/subscriptions/settings.hpp"

namespace veikart {

/// "whsec_" + base64 of 32 random bytes.
std::string new_webhook_secret();

/// A random id with a prefix, e.g. "msg_…" or "sub_…".
std::string new_random_id(std::string_view prefix);

/// The webhook-signature value: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) where the key is the
/// base64-decoded part of the secret after "whsec_". Empty when the secret is malformed.
std::string webhook_signature(std::string_view secret, std::string_view id, std::int64_t timestamp,
                              std::string_view body);

/// The JSON body of a change event: {"type": "roadmap.upsert"|"roadmap.delete", "timestamp", "data": change}.
std::string change_event_body(const Change& change);

/// The roadmap filters a subscription stores ({"network": [...], "from": "2026-01-01", ...}) as a query.
RoadmapQuery filters_to_query(const Json& filters);

/// Delivers webhook events. Runs on an executor where blocking store calls are allowed (the blocking pool).
class WebhookDispatcher {
 public:
  WebhookDispatcher(Store& store, HttpFetcher& http, WebhookSettings settings);

  /// Turns new changes into deliveries for every active subscription; returns how many were made.
  int enqueue();
  /// Sends every due delivery, one subscription after another, and returns when all are done (tests, tools).
  boost::asio::awaitable<int> deliver_due();
  /// Until `stopping`: enqueue and start due deliveries every `interval`. Deliveries to different subscriptions
  /// run concurrently, those of one subscription one at a time, so a slow receiver holds up only itself.
  boost::asio::awaitable<void> run(std::chrono::milliseconds interval, const std::atomic<bool>* stopping);
  /// Delivery attempts under way (shutdown waits for them).
  int in_flight() const { return in_flight_.load(); }

  /// Sends one delivery now and records the outcome.
  boost::asio::awaitable<void> send(Delivery delivery);

 private:
  boost::asio::awaitable<void> send_group(std::vector<Delivery> deliveries, std::string subscription_id);
  void finish(Delivery& delivery, const Expected<FetchResponse>& result);

  Store& store_;
  HttpFetcher& http_;
  WebhookSettings settings_;
  std::atomic<int> in_flight_{0};
  std::mutex busy_mutex_;
  std::set<std::string> busy_;  // subscriptions with a group under way
  std::chrono::steady_clock::time_point last_prune_{};
};

}  // namespace veikart
