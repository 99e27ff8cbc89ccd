// The push tables: inventories replaced per client, idempotency keys (claim, answer, expiry, crash recovery) and
// the audit log's paging.

#include <gtest/gtest.h>

#include <thread>

#include "gateway/store/push_store.hpp"
#include "gateway/store/store.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;

SystemRecord record(const std::string& by, const std::string& municipality, const std::string& product) {
  SystemRecord r;
  r.reported_by = by;
  r.municipality = municipality;
  r.category = "sak-arkiv";
  r.product = product;
  r.hosting = "cloud";
  r.capabilities = {"fiks-arkiv"};
  r.reported_at = "2026-11-23T00:00:00Z";
  return r;
}

TEST(PushStore, InventoriesAreReplacedPerClient) {
  TempDir dir;
  auto roadmap = open_sqlite_store(dir.path().string());  // the same file holds both
  auto s = open_sqlite_push_store(dir.path().string());
  s->replace_systems("a", {record("a", "4204", "X"), record("a", "4203", "Y")});
  s->replace_systems("b", {record("b", "4204", "Z")});
  EXPECT_EQ(s->systems_of("4204").size(), 2u);
  s->replace_systems("a", {record("a", "4203", "Y2")});
  const auto left = s->systems_of("4204");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reported_by, "b");
  s->upsert_systems({record("b", "4204", "Z"), record("b", "4204", "W")});
  EXPECT_EQ(s->system_count(), 3u);
  EXPECT_EQ(s->systems_of("4204")[0].capabilities, std::vector<std::string>{"fiks-arkiv"});
  EXPECT_FALSE(s->systems_of("4204")[0].vendor);
  EXPECT_TRUE(roadmap->healthy());
}

TEST(PushStore, IdempotencyKeys) {
  TempDir dir;
  {
    auto s = open_sqlite_push_store(dir.path().string());
    EXPECT_FALSE(s->claim_idempotency_key("ks", "k", "h1", std::chrono::hours(24)));
    auto pending = s->claim_idempotency_key("ks", "k", "h1", std::chrono::hours(24));
    ASSERT_TRUE(pending);
    EXPECT_TRUE(pending->pending);
    s->complete_idempotency_key("ks", "k", 201, "application/json", "{\"ok\":true}");
    auto done = s->claim_idempotency_key("ks", "k", "h2", std::chrono::hours(24));
    ASSERT_TRUE(done);
    EXPECT_FALSE(done->pending);
    EXPECT_EQ(done->request_hash, "h1");
    EXPECT_EQ(done->status, 201);
    EXPECT_EQ(done->body, "{\"ok\":true}");
    EXPECT_FALSE(s->claim_idempotency_key("other", "k", "h1", std::chrono::hours(24))) << "keys are per client";
    s->release_idempotency_key("other", "k");
    EXPECT_FALSE(s->claim_idempotency_key("other", "k", "h1", std::chrono::hours(24)));
    EXPECT_FALSE(s->claim_idempotency_key("ks", "left-pending", "h", std::chrono::hours(24)));
  }
  // Reopened (as after a crash): pending claims are freed, answers kept.
  auto s = open_sqlite_push_store(dir.path().string());
  EXPECT_FALSE(s->claim_idempotency_key("ks", "left-pending", "h", std::chrono::hours(24)));
  EXPECT_TRUE(s->claim_idempotency_key("ks", "k", "h1", std::chrono::hours(24)));
  // Expired keys are forgotten.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_FALSE(s->claim_idempotency_key("ks", "k", "h3", std::chrono::seconds(0)));
}

TEST(PushStore, AuditPagesNewestFirst) {
  TempDir dir;
  auto s = open_sqlite_push_store(dir.path().string());
  for (int i = 0; i < 5; ++i) {
    AuditEntry e;
    e.at = "2026-11-23T00:00:0" + std::to_string(i) + "Z";
    e.request_id = "r" + std::to_string(i);
    e.client = "ks";
    e.method = "POST";
    e.route = "/v1/schedules";
    e.path = "/v1/schedules";
    e.status = 200;
    if (i % 2 == 0) e.accepted = i;
    s->append_audit(e);
  }
  auto page = s->audit(0, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].request_id, "r4");
  EXPECT_EQ(page[0].accepted, 4);
  EXPECT_FALSE(page[1].accepted);
  page = s->audit(page[1].id, 10);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[2].request_id, "r0");

  // Entries older than the retention go; the rest stay.
  EXPECT_EQ(s->prune_audit("2026-11-23T00:00:02Z"), 2);
  page = s->audit(0, 10);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page.back().request_id, "r2");
  EXPECT_EQ(s->prune_audit("2026-11-23T00:00:02Z"), 0);
}

}  // namespace
}  // namespace veikart
