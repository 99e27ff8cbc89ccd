// Webhook signing and the dispatcher against a scripted receiver: verification of intent, delivery of matching
// changes from the persisted outbox, retries with the schedule and Retry-After, 410, dead letters and restarts.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>

#include "gateway/http/http_types.hpp"
#include "gateway/subscriptions/webhooks.hpp"
#include "gateway_test_support.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

namespace asio = boost::asio;
using testing::TempDir;

// Answers from a script (200 when it runs out) and keeps every request.
class ScriptedReceiver : public HttpFetcher {
 public:
  asio::awaitable<Expected<FetchResponse>> fetch(FetchRequest request) override {
    requests.push_back(request);
    if (answers.empty()) co_return answer(200);
    auto next = std::move(answers.front());
    answers.pop_front();
    co_return next;
  }
  static Expected<FetchResponse> answer(int status, std::string retry_after = {}) {
    FetchResponse r;
    r.status = status;
    if (!retry_after.empty()) r.headers.emplace_back("retry-after", retry_after);
    return r;
  }
  std::string header(std::size_t i, std::string_view name) const {
    for (const auto& [k, v] : requests.at(i).headers)
      if (k == name) return v;
    return {};
  }

  std::vector<FetchRequest> requests;
  std::deque<Expected<FetchResponse>> answers;
};

Json item(const std::string& id, const std::string& network) { return testing::item_body(id, id, network); }

class WebhookTest : public ::testing::Test {
 protected:
  WebhookTest() {
    settings_.retry_schedule = {std::chrono::seconds(0), std::chrono::seconds(0), std::chrono::seconds(0)};
  }

  Subscription subscribe(Json filters = Json::object()) {
    Subscription s;
    s.id = new_random_id("sub_");
    s.owner = "digi-agder";
    s.url = "https://receiver.example/hook";
    s.filters = std::move(filters);
    s.secret = new_webhook_secret();
    s.status = "pending";
    s.created_at = now_rfc3339();
    s.cursor = store_->sequence();
    Delivery verify;
    verify.id = new_random_id("msg_");
    verify.subscription_id = s.id;
    verify.event_type = "subscription.verify";
    verify.payload = R"({"type":"subscription.verify"})";
    verify.status = "pending";
    verify.created_at = s.created_at;
    store_->add_subscription(s, verify);
    return s;
  }

  void change(const std::string& id, const std::string& network) {
    store_->write([&](StoreTransaction& txn) {
      txn.upsert_item(id, item(id, network));
      return true;
    });
  }

  int deliver(WebhookDispatcher& dispatcher) {
    asio::io_context io;
    int sent = -1;
    asio::co_spawn(io, run_deliver(dispatcher, &sent), asio::detached);
    io.run();
    return sent;
  }
  static asio::awaitable<void> run_deliver(WebhookDispatcher& dispatcher, int* sent) {
    *sent = co_await dispatcher.deliver_due();
  }

  std::vector<Delivery> deliveries(const Subscription& s, std::optional<std::string> status = std::nullopt) {
    DeliveryQuery q;
    q.subscription_id = s.id;
    q.status = std::move(status);
    return store_->deliveries(q);
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = open_sqlite_store(dir_.path().string());
  ScriptedReceiver receiver_;
  WebhookSettings settings_;
};

// The test vector of the Standard Webhooks specification's reference libraries.
TEST(WebhookSigning, MatchesTheStandardWebhooksReferenceVector) {
  EXPECT_EQ(webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                              R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(webhook_signature("whsec_not*base64", "msg_1", 1, "{}"), "");
}

TEST(WebhookSigning, SecretsAndIdsAreRandomAndWellFormed) {
  const std::string a = new_webhook_secret(), b = new_webhook_secret();
  EXPECT_NE(a, b);
  ASSERT_TRUE(a.starts_with("whsec_"));
  const auto key = base64_decode(a.substr(6));
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->size(), 32u);
  EXPECT_TRUE(new_random_id("msg_").starts_with("msg_"));
  EXPECT_NE(new_random_id("msg_"), new_random_id("msg_"));
}

TEST(WebhookSigning, ReadsRetryAfterInSecondsAndAsADate) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("120", now), std::chrono::seconds(120));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now), std::chrono::seconds(120));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now), std::chrono::seconds(0));
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  EXPECT_FALSE(parse_retry_after("", now).has_value());
}

TEST_F(WebhookTest, VerifiesIntentBeforeTheFirstEventAndThenDeliversMatchingChangesSigned) {
  WebhookDispatcher dispatcher(*store_, receiver_, settings_);
  const Subscription sub = subscribe({{"network", {"digi-agder"}}});
  change("digi-agder:1", "digi-agder");
  EXPECT_EQ(dispatcher.enqueue(), 0) << "no events before the receiver confirmed the subscription";
  EXPECT_EQ(deliver(dispatcher), 1);
  ASSERT_EQ(receiver_.requests.size(), 1u);
  EXPECT_EQ(receiver_.requests[0].body, R"({"type":"subscription.verify"})");
  EXPECT_EQ(store_->subscription(sub.id)->status, "active");

  change("digi-rogaland:9", "digi-rogaland");  // filtered out
  EXPECT_EQ(dispatcher.enqueue(), 1);          // the change made before verification, not the Rogaland one
  EXPECT_EQ(dispatcher.enqueue(), 0);          // the cursor moved: nothing twice
  EXPECT_EQ(deliver(dispatcher), 1);
  ASSERT_EQ(receiver_.requests.size(), 2u);
  const FetchRequest& sent = receiver_.requests[1];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, sub.url);
  const Json body = Json::parse(sent.body);
  EXPECT_EQ(body["type"], "roadmap.upsert");
  EXPECT_EQ(body["data"]["id"], "digi-agder:1");
  EXPECT_EQ(body["data"]["op"], "upsert");
  const std::string id = receiver_.header(1, "webhook-id");
  const std::string ts = receiver_.header(1, "webhook-timestamp");
  EXPECT_TRUE(id.starts_with("msg_"));
  EXPECT_EQ(receiver_.header(1, "webhook-signature"), webhook_signature(sub.secret, id, std::stoll(ts), sent.body));
  EXPECT_EQ(deliveries(*store_->subscription(sub.id), "delivered").size(), 2u);
}

TEST_F(WebhookTest, RetriesOnTheScheduleKeepingTheIdAndEndsInTheDeadLetterList) {
  WebhookDispatcher dispatcher(*store_, receiver_, settings_);
  const Subscription sub = subscribe();
  deliver(dispatcher);
  change("ks:a", "digi-agder");
  dispatcher.enqueue();
  receiver_.answers = {ScriptedReceiver::answer(500), ScriptedReceiver::answer(502), Error{"timed out"},
                       ScriptedReceiver::answer(500)};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(deliver(dispatcher), 1) << "attempt " << i + 1;
  EXPECT_EQ(deliver(dispatcher), 0) << "out of attempts: 1 + 3 retries";
  auto failed = deliveries(sub, "failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].attempts, 4);
  EXPECT_EQ(failed[0].last_status, 500);
  EXPECT_EQ(failed[0].last_error, "the receiver answered 500");
  ASSERT_EQ(receiver_.requests.size(), 5u);
  for (std::size_t i = 2; i < 5; ++i) EXPECT_EQ(receiver_.header(i, "webhook-id"), receiver_.header(1, "webhook-id"));
  EXPECT_EQ(store_->subscription(sub.id)->status, "active") << "failures do not disable a subscription";
}

TEST_F(WebhookTest, HonoursRetryAfterAndTheScheduleDelay) {
  settings_.retry_schedule = {std::chrono::hours(1)};
  WebhookDispatcher dispatcher(*store_, receiver_, settings_);
  const Subscription sub = subscribe();
  deliver(dispatcher);
  change("ks:a", "digi-agder");
  dispatcher.enqueue();
  receiver_.answers = {ScriptedReceiver::answer(503, "120")};
  const auto before = std::chrono::system_clock::now();
  EXPECT_EQ(deliver(dispatcher), 1);
  EXPECT_EQ(deliver(dispatcher), 0) << "not due before Retry-After";
  auto pending = deliveries(sub, "pending");
  ASSERT_EQ(pending.size(), 1u);
  const auto wait_ms = pending[0].next_attempt_ms -
                       std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count();
  EXPECT_GE(wait_ms, 119'000);
  EXPECT_LE(wait_ms, 125'000) << "Retry-After, not the one-hour schedule";
}

TEST_F(WebhookTest, GoneDisablesTheSubscriptionAndFailedVerificationToo) {
  WebhookDispatcher dispatcher(*store_, receiver_, settings_);
  const Subscription sub = subscribe();
  deliver(dispatcher);
  change("ks:a", "digi-agder");
  change("ks:b", "digi-agder");
  dispatcher.enqueue();
  receiver_.answers = {ScriptedReceiver::answer(410)};
  deliver(dispatcher);
  EXPECT_EQ(store_->subscription(sub.id)->status, "disabled");
  EXPECT_EQ(store_->subscription(sub.id)->status_reason, "the receiver answered 410 Gone");
  const std::size_t sent = receiver_.requests.size();
  change("ks:c", "digi-agder");
  EXPECT_EQ(dispatcher.enqueue(), 0);
  EXPECT_EQ(deliver(dispatcher), 0);
  EXPECT_EQ(receiver_.requests.size(), sent) << "nothing goes to a disabled subscription";

  const Subscription never = subscribe();
  receiver_.answers = {ScriptedReceiver::answer(404), ScriptedReceiver::answer(404), ScriptedReceiver::answer(404),
                       ScriptedReceiver::answer(404)};
  for (int i = 0; i < 4; ++i) deliver(dispatcher);
  EXPECT_EQ(store_->subscription(never.id)->status, "disabled");
  EXPECT_EQ(store_->subscription(never.id)->status_reason, "verification failed after 4 attempts");
}

TEST_F(WebhookTest, PendingDeliveriesSurviveARestart) {
  std::string id;
  {
    WebhookDispatcher dispatcher(*store_, receiver_, settings_);
    subscribe();
    deliver(dispatcher);
    change("ks:a", "digi-agder");
    EXPECT_EQ(dispatcher.enqueue(), 1);
  }
  store_.reset();
  store_ = open_sqlite_store(dir_.path().string());  // as after a crash: only the database remains
  WebhookDispatcher again(*store_, receiver_, settings_);
  EXPECT_EQ(again.enqueue(), 0);
  EXPECT_EQ(deliver(again), 1);
  EXPECT_EQ(Json::parse(receiver_.requests.back().body)["data"]["id"], "ks:a");
}

TEST_F(WebhookTest, DeletedItemsReachEverySubscriber) {
  WebhookDispatcher dispatcher(*store_, receiver_, settings_);
  subscribe({{"network", {"digi-vestland"}}});
  deliver(dispatcher);
  store_->write([&](StoreTransaction& txn) {
    txn.upsert_item("ks:x", item("ks:x", "digi-agder"));
    txn.delete_item("ks:x");
    return true;
  });
  EXPECT_EQ(dispatcher.enqueue(), 1) << "the upsert is filtered out, the deletion is not";
  deliver(dispatcher);
  EXPECT_EQ(Json::parse(receiver_.requests.back().body)["type"], "roadmap.delete");
}

}  // namespace
}  // namespace veikart
