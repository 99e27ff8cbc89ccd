// Idempotency-Key on pushes (replay without applying twice, 422 for a reused key), the audit log with request
// ids and paging, and the per-client rate limit.

#include <gtest/gtest.h>

#include "gateway/api/rate_limit.hpp"
#include "push_test_support.hpp"

namespace veikart {
namespace {

using testing::PushApi;
using testing::system_record;

Json schedule(const std::string& title) {
  return {{"items",
           {{{"id", "ks:digihelse"},
             {"title", title},
             {"kind", "national_solution"},
             {"status", "pilot"},
             {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}}}}}};
}

TEST(Idempotency, SameKeyAndBodyReplaysTheFirstAnswer) {
  PushApi api;
  const std::string key = api.keys.publisher.key;
  const auto first =
      api.send("POST", "/v1/schedules", key, schedule("Først").dump(), "application/json", {{"idempotency-key", "k1"}});
  ASSERT_EQ(first.status, 200) << first.body;
  // Someone else changes the item in between.
  ASSERT_EQ(api.send("POST", "/v1/schedules", key, schedule("Så").dump()).status, 200);
  const auto seq = api.store().sequence();
  const auto again =
      api.send("POST", "/v1/schedules", key, schedule("Først").dump(), "application/json", {{"idempotency-key", "k1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(api.store().sequence(), seq) << "a replay applies nothing";
  EXPECT_EQ(Json::parse(api.send("GET", "/v1/roadmap/ks:digihelse", "").body)["title"], "Så");

  // Same key, different body: 422.
  const auto reused =
      api.send("POST", "/v1/schedules", key, schedule("Annet").dump(), "application/json", {{"idempotency-key", "k1"}});
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(Json::parse(reused.body)["type"], "urn:veikart:problem:idempotency-key-reused");
  EXPECT_EQ(api.store().sequence(), seq);

  // Keys belong to a client: another client's k1 is a new request.
  const auto other = api.send("POST", "/v1/schedules", api.keys.admin.key, schedule("Først").dump(), "application/json",
                              {{"idempotency-key", "k1"}});
  EXPECT_EQ(other.status, 200);
  EXPECT_TRUE(other.header("Idempotent-Replayed").empty());
}

TEST(Idempotency, InventoryReplaysAndBadKeys) {
  PushApi api;
  const std::string key = api.keys.agder.key;
  const std::string body = Json::array({system_record("4204")}).dump();
  const auto put = api.send("PUT", "/v1/inventories/ikt-agder", key, body, "application/json",
                            {{"idempotency-key", "inv-2026-11-23"}});
  ASSERT_EQ(put.status, 200);
  ASSERT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", key, "[]").status, 200);  // cleared since
  const auto replay = api.send("PUT", "/v1/inventories/ikt-agder", key, body, "application/json",
                               {{"idempotency-key", "inv-2026-11-23"}});
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.header("Idempotent-Replayed"), "true");
  EXPECT_EQ(api.push_store().system_count(), 0u) << "not applied twice";
  // A rejected push's answer is kept too; an unauthenticated one is not.
  const std::string bad = Json::array({system_record("1103")}).dump();
  EXPECT_EQ(
      api.send("PUT", "/v1/inventories/ikt-agder", key, bad, "application/json", {{"idempotency-key", "b"}}).status,
      403);
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", key, bad, "application/json", {{"idempotency-key", "b"}})
                .header("Idempotent-Replayed"),
            "true");
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", key, body, "application/json",
                     {{"idempotency-key", std::string(300, 'x')}})
                .status,
            400);
  // The key also works on the source-message route (the same guard); an unknown source answers 404 each time.
  EXPECT_EQ(api.send("POST", "/v1/sources/nope/messages", api.keys.publisher.key, "<x/>", "application/xml",
                     {{"idempotency-key", "m1"}})
                .status,
            404);
}

TEST(Audit, EveryPushIsRecordedWithItsRequestId) {
  PushApi api;
  const auto put = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key,
                            Json::array({system_record("4204"), system_record("4299")}).dump());
  ASSERT_EQ(put.status, 422);
  const std::string request_id = put.header("X-Request-Id");
  EXPECT_EQ(request_id.size(), 32u);
  api.send("POST", "/v1/inventories/ikt-agder/records", api.keys.agder.key,
           Json::array({system_record("4204"), system_record("4299")}).dump());
  api.send("POST", "/v1/schedules", "vk_wrong", "{}");
  api.send("GET", "/v1/roadmap", "");  // reads are not audited

  auto r = api.send("GET", "/v1/audit?limit=2", api.keys.admin.key);
  ASSERT_EQ(r.status, 200) << r.body;
  Json page = Json::parse(r.body);
  ASSERT_EQ(page["entries"].size(), 2u);
  EXPECT_EQ(page["entries"][0]["route"], "/v1/schedules");
  EXPECT_EQ(page["entries"][0]["status"], 401);
  EXPECT_EQ(page["entries"][0]["client"], "invalid-key");
  EXPECT_EQ(page["entries"][1]["route"], "/v1/inventories/{client}/records");
  EXPECT_EQ(page["entries"][1]["client"], "ikt-agder");
  EXPECT_EQ(page["entries"][1]["accepted"], 1);
  EXPECT_EQ(page["entries"][1]["rejected"], 1);
  ASSERT_TRUE(page["next_cursor"].is_string());
  r = api.send("GET", "/v1/audit?limit=2&cursor=" + page["next_cursor"].get<std::string>(), api.keys.admin.key);
  page = Json::parse(r.body);
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["request_id"], request_id);
  EXPECT_EQ(page["entries"][0]["method"], "PUT");
  EXPECT_EQ(page["entries"][0]["status"], 422);
  EXPECT_EQ(page["entries"][0]["accepted"], 0);
  EXPECT_EQ(page["entries"][0]["rejected"], 1);
  EXPECT_TRUE(page["next_cursor"].is_null());
  EXPECT_EQ(api.send("GET", "/v1/audit?cursor=nonsense", api.keys.admin.key).status, 400);
  EXPECT_EQ(api.send("GET", "/v1/audit?limit=0", api.keys.admin.key).status, 400);
  EXPECT_EQ(api.send("GET", "/v1/audit", api.keys.agder.key).status, 403);
  EXPECT_EQ(api.send("GET", "/v1/audit", "").status, 401);
}

TEST(RateLimit, TokenBucketPerClient) {
  GatewayConfig config;
  config.limits.rate = {1.0, 2.0};
  PushApi api(config);
  EXPECT_EQ(api.send("GET", "/v1/roadmap", api.keys.reader.key).status, 200);
  EXPECT_EQ(api.send("GET", "/v1/roadmap", api.keys.reader.key).status, 200);
  const auto limited = api.send("GET", "/v1/roadmap", api.keys.reader.key);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("Retry-After"), "1");
  EXPECT_EQ(Json::parse(limited.body)["type"], "urn:veikart:problem:rate-limited");
  EXPECT_EQ(api.send("GET", "/v1/roadmap", api.keys.admin.key).status, 200) << "other clients have their own bucket";
  EXPECT_EQ(api.send("GET", "/healthz", api.keys.reader.key).status, 200) << "operations are not limited";
  // Anonymous callers are limited per address.
  EXPECT_EQ(api.send("GET", "/v1/roadmap", "", {}, "", {}, "192.0.2.8").status, 200);
  EXPECT_EQ(api.send("GET", "/v1/roadmap", "", {}, "", {}, "192.0.2.8").status, 200);
  EXPECT_EQ(api.send("GET", "/v1/roadmap", "", {}, "", {}, "192.0.2.8").status, 429);
  EXPECT_EQ(api.send("GET", "/v1/roadmap", "", {}, "", {}, "192.0.2.9").status, 200);
}

TEST(RateLimit, BucketRefills) {
  RateLimiter limiter(2.0, 2.0);
  const auto t0 = RateLimiter::Clock::now();
  EXPECT_FALSE(limiter.take("a", t0));
  EXPECT_FALSE(limiter.take("a", t0));
  auto wait = limiter.take("a", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 1);
  EXPECT_FALSE(limiter.take("a", t0 + std::chrono::milliseconds(600)));  // 1.2 tokens back
  EXPECT_TRUE(limiter.take("a", t0 + std::chrono::milliseconds(700)));
  EXPECT_FALSE(RateLimiter(0, 0).take("a", t0)) << "no limit configured";
}

}  // namespace
}  // namespace veikart
