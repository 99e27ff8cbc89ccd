#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gateway/store/store.hpp"
#include "gateway_test_support.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

using testing::item_body;
using testing::TempDir;

TEST(SqliteStore, UpsertAssignsMonotonicSequenceAndVersion) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path().string());
  EXPECT_EQ(store->sequence(), 0);
  std::int64_t a = 0, b = 0, c = 0;
  store->write([&](StoreTransaction& txn) {
    a = txn.upsert_item("ks:a", item_body("ks:a", "A"));
    b = txn.upsert_item("ks:b", item_body("ks:b", "B"));
    return true;
  });
  store->write([&](StoreTransaction& txn) {
    c = txn.upsert_item("ks:a", item_body("ks:a", "A2"));
    return true;
  });
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(store->sequence(), c);
  auto item = store->item("ks:a");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->version, c);
  EXPECT_EQ(item->doc["version"], c);
  EXPECT_EQ(item->doc["title"], "A2");
  const auto changes = store->changes(0, 100);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].seq, a);
  EXPECT_EQ(changes[2].id, "ks:a");
  EXPECT_EQ(changes[2].op, "upsert");
  ASSERT_TRUE(changes[0].item);
  EXPECT_EQ((*changes[0].item)["title"], "A");  // the change log keeps the item as it was then
  EXPECT_EQ(store->changes(b, 100).size(), 1u);
}

TEST(SqliteStore, RolledBackTransactionLeavesNothing) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path().string());
  store->write([&](StoreTransaction& txn) {
    txn.upsert_item("ks:a", item_body("ks:a", "A"));
    return false;
  });
  EXPECT_EQ(store->sequence(), 0);
  EXPECT_FALSE(store->item("ks:a"));
  EXPECT_THROW(store->write([&](StoreTransaction& txn) -> bool {
    txn.upsert_item("ks:b", item_body("ks:b", "B"));
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_FALSE(store->item("ks:b"));
  EXPECT_TRUE(store->healthy());
}

TEST(SqliteStore, DeleteWritesTombstoneAndHidesFromRoadmap) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path().string());
  store->write([&](StoreTransaction& txn) {
    txn.upsert_item("ks:a", item_body("ks:a", "A"));
    txn.upsert_item("ks:b", item_body("ks:b", "B"));
    return true;
  });
  std::int64_t seq = 0;
  store->write([&](StoreTransaction& txn) {
    seq = txn.delete_item("ks:a");
    return true;
  });
  auto page = store->roadmap({});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0]["id"], "ks:b");
  EXPECT_EQ(page.sequence, seq);
  auto changes = store->changes(seq - 1, 10);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].op, "delete");
  EXPECT_FALSE(changes[0].item.has_value());
  auto gone = store->item("ks:a");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->deleted);
}

TEST(SqliteStore, RoadmapFiltersAndKeysetPaging) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path().string());
  store->write([&](StoreTransaction& txn) {
    for (int i = 0; i < 25; ++i) {
      const std::string id = "digi-agder:p" + std::string(i < 10 ? "0" : "") + std::to_string(i);
      Json body = item_body(id, "P" + std::to_string(i), i % 2 ? "digi-agder" : "digi-rogaland");
      body["municipalities"] = i % 5 == 0 ? Json{"4204"} : Json::array();
      body["themes"] = i % 3 == 0 ? Json{"e-health"} : Json{"education"};
      body["status"] = i < 5 ? "pilot" : "idea";
      body["milestones"] = Json{{{"name", "Start"},
                                 {"kind", "start"},
                                 {"date", std::to_string(2020 + i % 8) + "-03-01"},
                                 {"precision", "month"},
                                 {"label", nullptr}}};
      txn.upsert_item(id, body);
    }
    return true;
  });
  auto count = [&](auto&& set) {
    RoadmapQuery q;
    set(q);
    return store->roadmap(q).items.size();
  };
  EXPECT_EQ(count([](RoadmapQuery& q) { q.networks = {"digi-agder"}; }), 12u);
  EXPECT_EQ(count([](RoadmapQuery& q) { q.municipalities = {"4204"}; }), 5u);
  EXPECT_EQ(count([](RoadmapQuery& q) { q.themes = {"e-health"}; }), 9u);
  EXPECT_EQ(count([](RoadmapQuery& q) { q.statuses = {"pilot", "ready"}; }), 5u);
  EXPECT_EQ(count([](RoadmapQuery& q) { q.kinds = {"national_solution"}; }), 0u);
  // Years 2020..2027 repeat; 2024-01-01..2024-12-31 holds i % 8 == 4: i = 4, 12, 20.
  EXPECT_EQ(count([](RoadmapQuery& q) {
              q.from = "2024-01-01";
              q.to = "2024-12-31";
            }),
            3u);

  std::vector<std::string> seen;
  RoadmapQuery q;
  q.limit = 10;
  for (int page_no = 0; page_no < 5; ++page_no) {
    auto page = store->roadmap(q);
    for (const auto& it : page.items) seen.push_back(it["id"]);
    if (!page.last_id) break;
    q.after_id = page.last_id;
  }
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 25u);
}

TEST(SqliteStore, RunsAreRecordedAndInterruptedRunsMarkedFailedOnReopen) {
  TempDir dir;
  {
    auto store = open_sqlite_store(dir.path().string());
    IngestionRun run;
    run.id = store->begin_run("src", "2026-01-01T00:00:00Z");
    run.source = "src";
    run.started_at = "2026-01-01T00:00:00Z";
    run.finished_at = "2026-01-01T00:00:01Z";
    run.status = "partial";
    run.accepted = 3;
    run.rejected = 1;
    run.errors = {{"row 7", "column 'Oppstart': cannot read date 'snart'"}};
    store->finish_run(run);
    store->begin_run("src", "2026-01-01T01:00:00Z");  // never finished: the process "dies"
  }
  auto store = open_sqlite_store(dir.path().string());
  auto runs = store->runs("src", 10);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].status, "failed");
  EXPECT_NE(runs[0].errors.at(0).reason.find("interrupted"), std::string::npos);
  EXPECT_EQ(runs[1].status, "partial");
  EXPECT_EQ(runs[1].errors.at(0).where, "row 7");
  auto good = store->last_good_run("src");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->accepted, 3);
}

// A child process commits batches of 20 items in a loop and is killed with SIGKILL at some point, possibly in
// the middle of a transaction. After reopening, every committed batch must be whole and the database intact.
TEST(SqliteStore, KilledWriterLosesNoCommittedBatchAndLeavesNoHalfBatch) {
  TempDir dir;
  int pipe_fd[2];
  ASSERT_EQ(pipe(pipe_fd), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fd[0]);
    auto store = open_sqlite_store(dir.path().string());
    for (int batch = 0;; ++batch) {
      store->write([&](StoreTransaction& txn) {
        for (int i = 0; i < 20; ++i) {
          const std::string id = "ks:b" + std::to_string(batch) + "-" + std::to_string(i);
          txn.upsert_item(id, item_body(id, "batch " + std::to_string(batch)));
        }
        return true;
      });
      // Report each committed batch to the parent.
      const char c = 'c';
      if (write(pipe_fd[1], &c, 1) != 1) _exit(1);
    }
  }
  close(pipe_fd[1]);
  int committed = 0;
  char c;
  while (committed < 15 && read(pipe_fd[0], &c, 1) == 1) ++committed;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  while (read(pipe_fd[0], &c, 1) == 1) ++committed;  // batches reported before the kill landed
  close(pipe_fd[0]);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_sqlite_store(dir.path().string());
  EXPECT_TRUE(store->healthy());
  RoadmapQuery all;
  all.limit = 1000;
  const auto items = store->roadmap(all).items;
  EXPECT_EQ(items.size() % 20, 0u) << "a half-written batch is visible";
  EXPECT_GE(static_cast<int>(items.size()), committed * 20) << "a committed batch was lost";
  EXPECT_EQ(store->sequence(), static_cast<std::int64_t>(items.size()));
}

// A store written by schema version 1 (before attached and pushed records) opens and gains the new columns.
TEST(SqliteStore, FragmentHeadsLeaveTheFieldsOut) {
  TempDir dir;
  auto store = open_sqlite_store(dir.path().string());
  std::vector<StoredFragment> heads;
  store->write([&](StoreTransaction& txn) {
    txn.put_fragment(
        {"s", "r1", "ks:a", "spreadsheet", "h1", "2026-01-01T00:00:00Z", 10, Json{{"title", "A"}}, true, "push"});
    heads = txn.fragment_heads_of_source("s");
    return true;
  });
  ASSERT_EQ(heads.size(), 1u);
  EXPECT_EQ(heads[0].record, "r1");
  EXPECT_EQ(heads[0].item_id, "ks:a");
  EXPECT_EQ(heads[0].hash, "h1");
  EXPECT_EQ(heads[0].precedence, 10);
  EXPECT_TRUE(heads[0].attach_only);
  EXPECT_EQ(heads[0].origin, "push");
  EXPECT_TRUE(heads[0].fields.is_null());
}

TEST(SqliteStore, MigratesAVersion1Store) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "veikart.sqlite").c_str(), &db), SQLITE_OK);
    const char* v1 =
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        "CREATE TABLE fragments(source TEXT NOT NULL, record TEXT NOT NULL, item_id TEXT NOT NULL, adapter TEXT NOT "
        "NULL, hash TEXT NOT NULL, fetched_at TEXT NOT NULL, precedence INTEGER NOT NULL, fields TEXT NOT NULL, "
        "PRIMARY KEY (source, record));"
        "INSERT INTO fragments VALUES ('s', 'r1', 'ks:a', 'spreadsheet', 'h', '2026-01-01T00:00:00Z', 10, '{}');";
    ASSERT_EQ(sqlite3_exec(db, v1, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_sqlite_store(dir.path().string());
  std::vector<StoredFragment> fragments;
  store->write([&](StoreTransaction& txn) {
    fragments = txn.fragments_of_source("s");
    return false;
  });
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_FALSE(fragments[0].attach_only);
  EXPECT_EQ(fragments[0].origin, "pull");
  EXPECT_TRUE(store->healthy());
}

}  // namespace
}  // namespace veikart
