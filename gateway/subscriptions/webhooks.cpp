#include "gateway/subscriptions/webhooks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>
#include <map>
#include <random>

#include "gateway/core/crypto.hpp"
#include "gateway/http/http_types.hpp"

// GCC 12 at -O2 reports Asio's coroutine frame allocation and deallocation as mismatched, a false positive of its
// coroutine lowering (see gateway/runtime.cpp).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace veikart {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;

namespace {

std::int64_t unix_ms(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::vector<std::string> string_list(const Json& filters, const char* key) {
  std::vector<std::string> out;
  if (!filters.is_object() || !filters.contains(key)) return out;
  const Json& v = filters[key];
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const auto& e : v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

std::string new_webhook_secret() { return "whsec_" + base64_encode(random_bytes(32)); }

std::string new_random_id(std::string_view prefix) { return std::string(prefix) + base64url_encode(random_bytes(18)); }

std::string webhook_signature(std::string_view secret, std::string_view id, std::int64_t timestamp,
                              std::string_view body) {
  if (secret.starts_with("whsec_")) secret.remove_prefix(6);
  const auto key = base64_decode(secret);
  if (!key || key->empty()) return {};
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + base64_encode(hmac_sha256(*key, message));
}

std::string change_event_body(const Change& change) {
  const Json body = {{"type", change.op == "delete" ? "roadmap.delete" : "roadmap.upsert"},
                     {"timestamp", change.at},
                     {"data", change_to_json(change)}};
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

RoadmapQuery filters_to_query(const Json& filters) {
  RoadmapQuery q;
  q.networks = string_list(filters, "network");
  q.municipalities = string_list(filters, "municipality");
  q.themes = string_list(filters, "theme");
  q.statuses = string_list(filters, "status");
  q.kinds = string_list(filters, "kind");
  if (filters.is_object() && filters.contains("from") && filters["from"].is_string()) q.from = filters["from"];
  if (filters.is_object() && filters.contains("to") && filters["to"].is_string()) q.to = filters["to"];
  return q;
}

WebhookDispatcher::WebhookDispatcher(Store& store, HttpFetcher& http, WebhookSettings settings)
    : store_(store), http_(http), settings_(std::move(settings)) {}

int WebhookDispatcher::enqueue() {
  int made = 0;
  // A subscription whose cursor is at the newest change has nothing to turn into deliveries: skipping it spares
  // a write transaction per subscription every tick while the roadmap is quiet.
  const std::int64_t newest = store_.sequence();
  for (const auto& sub : store_.subscriptions(std::nullopt)) {
    if (sub.status != "active" || sub.cursor >= newest) continue;
    const RoadmapQuery query = filters_to_query(sub.filters);
    for (;;) {
      bool read_any = false;
      const int n = store_.enqueue_deliveries(sub.id, 500, [&](const Change& change) -> std::optional<Delivery> {
        read_any = true;
        if (!change_matches(query, change)) return std::nullopt;
        Delivery d;
        d.id = new_random_id("msg_");
        d.subscription_id = sub.id;
        d.event_type = change.op == "delete" ? "roadmap.delete" : "roadmap.upsert";
        d.seq = change.seq;
        d.payload = change_event_body(change);
        d.status = "pending";
        d.next_attempt_ms = unix_ms(SystemClock::now());
        d.created_at = to_rfc3339(SystemClock::now());
        return d;
      });
      made += n;
      if (!read_any) break;
    }
  }
  // Delivered events are kept a week for the deliveries list, then pruned.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_prune_ > std::chrono::hours(1)) {
    last_prune_ = now;
    store_.prune_deliveries(to_rfc3339(SystemClock::now() - std::chrono::hours(24 * 7)));
  }
  return made;
}

asio::awaitable<int> WebhookDispatcher::deliver_due() {
  int sent = 0;
  for (auto& d : store_.due_deliveries(unix_ms(SystemClock::now()), 1000)) {
    co_await send(std::move(d));
    ++sent;
  }
  co_return sent;
}

asio::awaitable<void> WebhookDispatcher::run(std::chrono::milliseconds interval, const std::atomic<bool>* stopping) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!*stopping) {
    try {
      enqueue();
      std::map<std::string, std::vector<Delivery>> groups;
      for (auto& d : store_.due_deliveries(unix_ms(SystemClock::now()), 1000)) {
        groups[d.subscription_id].push_back(std::move(d));
      }
      for (auto& [id, list] : groups) {
        {
          std::lock_guard lock(busy_mutex_);
          if (!busy_.insert(id).second) continue;  // that subscription's earlier group is still sending
        }
        in_flight_ += static_cast<int>(list.size());
        asio::co_spawn(co_await asio::this_coro::executor, send_group(std::move(list), id), asio::detached);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "veikart: webhook dispatch failed: %s\n", e.what());
    }
    timer.expires_after(interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> WebhookDispatcher::send_group(std::vector<Delivery> deliveries, std::string subscription_id) {
  for (auto& d : deliveries) {
    try {
      co_await send(std::move(d));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "veikart: webhook delivery failed: %s\n", e.what());
    }
    --in_flight_;
  }
  std::lock_guard lock(busy_mutex_);
  busy_.erase(subscription_id);
}

asio::awaitable<void> WebhookDispatcher::send(Delivery delivery) {
  auto sub = store_.subscription(delivery.subscription_id);
  if (!sub) co_return;  // deleted meanwhile (its deliveries went with it)
  const std::int64_t timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock::now().time_since_epoch()).count();
  FetchRequest request;
  request.method = "POST";
  request.url = sub->url;
  request.body = delivery.payload;
  request.headers = {{"Content-Type", "application/json"},
                     {"webhook-id", delivery.id},
                     {"webhook-timestamp", std::to_string(timestamp)},
                     {"webhook-signature", webhook_signature(sub->secret, delivery.id, timestamp, delivery.payload)}};
  request.secret_headers = {"webhook-signature"};
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.timeout);
  const auto result = co_await http_.fetch(std::move(request));
  finish(delivery, result);
}

void WebhookDispatcher::finish(Delivery& d, const Expected<FetchResponse>& result) {
  const auto now = SystemClock::now();
  ++d.attempts;
  d.last_attempt_at = to_rfc3339(now);
  d.last_status = result.ok() ? result->status : 0;
  const bool verify = d.event_type == "subscription.verify";
  if (result.ok() && result->status >= 200 && result->status < 300) {
    d.status = "delivered";
    d.last_error.clear();
    store_.update_delivery(d);
    if (verify) store_.set_subscription_status(d.subscription_id, "active", "");
    return;
  }
  if (result.ok() && result->status == 410) {
    d.status = "failed";
    d.last_error = "the receiver answered 410 Gone; the subscription is disabled";
    store_.update_delivery(d);
    store_.set_subscription_status(d.subscription_id, "disabled", "the receiver answered 410 Gone");
    return;
  }
  d.last_error = result.ok() ? "the receiver answered " + std::to_string(result->status) : result.error().message;
  const std::size_t retry = static_cast<std::size_t>(d.attempts) - 1;
  if (retry >= settings_.retry_schedule.size()) {
    d.status = "failed";
    store_.update_delivery(d);
    if (verify) {
      store_.set_subscription_status(d.subscription_id, "disabled",
                                     "verification failed after " + std::to_string(d.attempts) + " attempts");
    }
    return;
  }
  // The schedule's delay with ±10 % jitter, or the receiver's Retry-After (capped) when it gave one.
  static thread_local std::mt19937 rng(std::random_device{}());
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(settings_.retry_schedule[retry]);
  delay = std::chrono::milliseconds(static_cast<long long>(static_cast<double>(delay.count()) *
                                                           std::uniform_real_distribution<double>(0.9, 1.1)(rng)));
  if (result.ok()) {
    if (auto after = parse_retry_after(result->header("retry-after"), now)) {
      delay = std::chrono::duration_cast<std::chrono::milliseconds>(std::min(*after, settings_.max_retry_after));
    }
  }
  d.status = "pending";
  d.next_attempt_ms = unix_ms(now) + delay.count();
  store_.update_delivery(d);
}

}  // namespace veikart
