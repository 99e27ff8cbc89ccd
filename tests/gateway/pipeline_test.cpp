#include <gtest/gtest.h>

#include "gateway/pipeline/ingest.hpp"
#include "gateway/pipeline/merge.hpp"
#include "gateway_test_support.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

using testing::fragment;
using testing::fragment_fields;
using testing::TempDir;

StoredFragment stored(const std::string& source, int precedence, Json fields) {
  return {source, "r1", "ks:x", "spreadsheet", "h-" + source, "2026-01-01T00:00:00Z", precedence, std::move(fields)};
}

TEST(Merge, PrecedenceChoosesScalarsAndRecordsConflicts) {
  Json ks = fragment_fields("DigiHelse");
  ks["status"] = "rolling_out";
  Json rogaland = fragment_fields("Digihelse (Rogaland)", "digi-rogaland");
  rogaland["status"] = "rolling_out";
  rogaland["priority"] = {{"scheme", "rogaland-ab"}, {"value", "A"}, {"rank", 1}};
  const Json merged = merge_fragments("ks:x", {stored("rogaland", 20, rogaland), stored("ks", 10, ks)});
  EXPECT_EQ(merged["title"], "DigiHelse");
  EXPECT_EQ(merged["priority"]["value"], "A");  // only one source gives it: no conflict
  EXPECT_EQ(merged["networks"], (Json{"digi-agder", "digi-rogaland"}));
  ASSERT_EQ(merged["provenance"].size(), 2u);
  EXPECT_EQ(merged["provenance"][0]["source"], "ks");
  std::set<std::string> conflict_fields;
  for (const auto& c : merged["conflicts"]) conflict_fields.insert(c["field"]);
  EXPECT_TRUE(conflict_fields.count("title"));
  EXPECT_TRUE(conflict_fields.count("owner"));
  EXPECT_FALSE(conflict_fields.count("status"));  // they agree
  for (const auto& c : merged["conflicts"]) {
    if (c["field"] == "title") {
      EXPECT_EQ(c["chosen"], "DigiHelse");
      EXPECT_EQ(c["values"].size(), 2u);
    }
  }
}

TEST(Merge, MilestonesKeyedByKindWithConflictOnDisagreement) {
  auto ms = [](const char* kind, const char* date) {
    return Json{{"name", kind}, {"kind", kind}, {"date", date}, {"precision", "day"}, {"label", nullptr}};
  };
  Json a = fragment_fields("X");
  a["milestones"] = Json{ms("rollout_start", "2026-03-01"), ms("pilot", "2025-01-01")};
  Json b = fragment_fields("X");
  b["milestones"] = Json{ms("rollout_start", "2026-09-01"), ms("end", "2028-01-01")};
  const Json merged = merge_fragments("ks:x", {stored("a", 1, a), stored("b", 2, b)});
  ASSERT_EQ(merged["milestones"].size(), 3u);
  EXPECT_EQ(merged["milestones"][0]["kind"], "pilot");  // sorted by date
  EXPECT_EQ(merged["milestones"][1]["date"], "2026-03-01");
  bool found = false;
  for (const auto& c : merged["conflicts"]) found |= c["field"] == "milestones[rollout_start]";
  EXPECT_TRUE(found);
}

class IngestTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<Store> store_ = open_sqlite_store(dir_.path().string());
  SourceInfo source_{"agder", "spreadsheet", 100};

  IngestReport ingest(Batch batch, bool dry_run = false) {
    return ingest_batch(*store_, source_, Expected<Batch>(std::move(batch)), dry_run, now_rfc3339());
  }

  /// Streams the batch's fragments to the sink one by one, as a streaming adapter does, and returns the rest.
  IngestReport ingest_stream(Batch batch, bool dry_run = false) {
    return ingest_streamed(
        *store_, source_,
        [&batch](FragmentSink& sink) -> Expected<Batch> {
          for (auto& f : batch.fragments) sink(std::move(f));
          batch.fragments.clear();
          return batch;
        },
        dry_run, now_rfc3339());
  }
};

TEST_F(IngestTest, AcceptsValidFragmentsAndRejectsInvalidOnesWithReasons) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("Good")));
  Json bad = fragment_fields("Bad date");
  bad["milestones"] =
      Json{{{"name", "Start"}, {"kind", "start"}, {"date", "15.04.2021"}, {"precision", "day"}, {"label", nullptr}}};
  b.fragments.push_back(fragment("digi-agder:2", bad, "row 3"));
  Json incomplete = {{"title", "No owner, kind or status"}};
  b.fragments.push_back(fragment("digi-agder:3", incomplete, "row 4"));
  b.rejected.push_back({"row 5", "column 'Status': unknown status 'kanskje'"});
  const auto report = ingest(std::move(b));
  EXPECT_EQ(report.accepted, 1);
  ASSERT_EQ(report.rejected.size(), 3u);
  EXPECT_EQ(report.rejected[0].where, "row 5");
  EXPECT_EQ(report.rejected[1].where, "row 3");
  EXPECT_NE(report.rejected[1].reason.find("/milestones/0/date"), std::string::npos) << report.rejected[1].reason;
  EXPECT_EQ(report.rejected[2].where, "row 4");
  EXPECT_NE(report.rejected[2].reason.find("invalid"), std::string::npos);
  EXPECT_EQ(report.run.status, "partial");
  EXPECT_TRUE(store_->item("digi-agder:1"));
  EXPECT_FALSE(store_->item("digi-agder:2"));
  EXPECT_FALSE(store_->item("digi-agder:3"));
  const auto runs = store_->runs("agder", 5);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].rejected, 3);
  EXPECT_EQ(runs[0].errors.size(), 3u);
}

TEST_F(IngestTest, UnchangedRecordsBumpNothingAndMissingRecordsAreWithdrawn) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  b.fragments.push_back(fragment("digi-agder:2", fragment_fields("Two")));
  ingest(b);
  const auto seq = store_->sequence();
  const auto again = ingest(b);
  EXPECT_EQ(again.unchanged, 2);
  EXPECT_EQ(again.accepted, 0);
  EXPECT_EQ(store_->sequence(), seq);

  Batch smaller;
  smaller.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  const auto report = ingest(smaller);
  EXPECT_EQ(report.removed, 1);
  auto gone = store_->item("digi-agder:2");
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->deleted);
  const auto changes = store_->changes(seq, 10);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].op, "delete");
}

TEST_F(IngestTest, RejectedRecordWithKnownKeyKeepsItsLastGoodVersion) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  ingest(b);
  Batch broken;
  broken.rejected.push_back({"row 2", "column 'Oppstart': cannot read date 'snart'", "digi-agder:1"});
  const auto report = ingest(broken);
  EXPECT_EQ(report.removed, 0);
  auto kept = store_->item("digi-agder:1");
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->deleted);
}

TEST_F(IngestTest, DuplicateRecordsInOneBatchAreRejected) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One"), "row 2"));
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One again"), "row 9"));
  const auto report = ingest(b);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].where, "row 9");
  EXPECT_NE(report.rejected[0].reason.find("row 2"), std::string::npos);
}

TEST_F(IngestTest, DryRunShowsItemsAndWritesNothing) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  const auto report = ingest(b, true);
  ASSERT_EQ(report.items.size(), 1u);
  EXPECT_EQ(report.items[0]["title"], "One");
  EXPECT_EQ(store_->sequence(), 0);
  EXPECT_TRUE(store_->runs("agder", 5).empty());
}

TEST_F(IngestTest, FailedReadKeepsLastGoodDataAndRecordsTheFailure) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  ingest(b);
  const auto report = ingest_batch(*store_, source_, Expected<Batch>(Error{"cannot open file"}), false, now_rfc3339());
  EXPECT_TRUE(report.read_failed);
  EXPECT_EQ(report.run.status, "failed");
  EXPECT_TRUE(store_->item("digi-agder:1"));
  EXPECT_FALSE(store_->item("digi-agder:1")->deleted);
  EXPECT_EQ(store_->runs("agder", 1)[0].errors[0].reason, "cannot open file");
}

TEST_F(IngestTest, StreamedFragmentsAreAppliedLikeABatch) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One"), "row 2"));
  b.fragments.push_back(fragment("digi-agder:2", fragment_fields("Two"), "row 3"));
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One again"), "row 9"));
  b.fragments.push_back(fragment("digi-agder:3", Json{{"title", "No owner, kind or status"}}, "row 4"));
  b.rejected.push_back({"row 5", "column 'Oppstart': cannot read date 'snart'"});
  b.warnings.push_back({"row 1", "no column 'Tema' for themes"});
  const auto report = ingest_stream(b);
  EXPECT_EQ(report.accepted, 2);
  ASSERT_EQ(report.rejected.size(), 3u);
  EXPECT_EQ(report.rejected[0].where, "row 5");  // the adapter's own rejections come first, as in a batch
  EXPECT_EQ(report.rejected[1].where, "row 9");
  EXPECT_NE(report.rejected[1].reason.find("row 2"), std::string::npos);
  EXPECT_EQ(report.rejected[2].where, "row 4");
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.run.status, "partial");
  EXPECT_EQ(report.run.accepted, 2);
  ASSERT_TRUE(store_->item("digi-agder:1"));
  EXPECT_EQ(store_->item("digi-agder:1")->doc["title"], "One");

  // Unchanged records change nothing; a record missing from the next snapshot is withdrawn, unless the adapter
  // rejected it under its key (then its last good version stays).
  const auto seq = store_->sequence();
  Batch same;
  same.fragments.push_back(fragment("digi-agder:1", fragment_fields("One"), "row 2"));
  same.fragments.push_back(fragment("digi-agder:2", fragment_fields("Two"), "row 3"));
  EXPECT_EQ(ingest_stream(same).unchanged, 2);
  EXPECT_EQ(store_->sequence(), seq);
  Batch smaller;
  smaller.fragments.push_back(fragment("digi-agder:1", fragment_fields("One"), "row 2"));
  smaller.rejected.push_back({"row 3", "bad", "digi-agder:2"});
  EXPECT_EQ(ingest_stream(smaller).removed, 0);
  EXPECT_FALSE(store_->item("digi-agder:2")->deleted);
  Batch last;
  last.fragments.push_back(fragment("digi-agder:1", fragment_fields("One"), "row 2"));
  EXPECT_EQ(ingest_stream(last).removed, 1);
  EXPECT_TRUE(store_->item("digi-agder:2")->deleted);
}

TEST_F(IngestTest, StreamedReadThatFailsMidwayKeepsNothingOfIt) {
  Batch b;
  b.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  ingest(b);
  const auto seq = store_->sequence();
  const auto report = ingest_streamed(
      *store_, source_,
      [](FragmentSink& sink) -> Expected<Batch> {
        sink(fragment("digi-agder:2", fragment_fields("Two")));  // applied inside the transaction ...
        return Error{"the second file is unreadable"};           // ... which this failure rolls back
      },
      false, now_rfc3339());
  EXPECT_TRUE(report.read_failed);
  EXPECT_EQ(report.accepted, 0);
  EXPECT_EQ(report.run.status, "failed");
  EXPECT_EQ(store_->runs("agder", 1)[0].errors[0].reason, "the second file is unreadable");
  EXPECT_FALSE(store_->item("digi-agder:2"));
  EXPECT_FALSE(store_->item("digi-agder:1")->deleted);
  EXPECT_EQ(store_->sequence(), seq);
}

TEST_F(IngestTest, StreamedRunRetriesAFailedReadAndRecordsOneRun) {
  // A scheduled run: the first read streams a fragment and then fails; the second succeeds.
  StreamedRun run(*store_, source_, false, now_rfc3339());
  const auto first = run.attempt([](FragmentSink& sink) -> Expected<Batch> {
    sink(fragment("digi-agder:9", fragment_fields("Half-read")));
    return Error{"the file was being written"};
  });
  EXPECT_TRUE(first.read_failed);
  EXPECT_FALSE(store_->item("digi-agder:9")) << "a failed attempt keeps nothing";
  const auto second = run.attempt([](FragmentSink& sink) -> Expected<Batch> {
    sink(fragment("digi-agder:1", fragment_fields("One")));
    Batch rest;
    rest.warnings.push_back({"row 3", "skipped a row with one cell only: 'x'"});
    return rest;
  });
  EXPECT_FALSE(second.read_failed);
  EXPECT_EQ(second.accepted, 1);
  const auto report = run.finish(second);
  EXPECT_EQ(report.run.status, "ok");
  const auto runs = store_->runs("agder", 5);
  ASSERT_EQ(runs.size(), 1u) << "one run however many attempts";
  EXPECT_EQ(runs[0].status, "ok");
  EXPECT_EQ(runs[0].accepted, 1);
  ASSERT_EQ(runs[0].warnings.size(), 1u);
  EXPECT_TRUE(store_->item("digi-agder:1"));
  EXPECT_FALSE(store_->item("digi-agder:9"));
}

TEST_F(IngestTest, ChangeThatMakesItsItemInvalidRestoresTheStoredVersion) {
  Batch good;
  good.fragments.push_back(fragment("digi-agder:1", fragment_fields("One")));
  ingest(good);
  Batch broken;
  broken.fragments.push_back(fragment("digi-agder:1", Json{{"title", "No owner, kind or status"}}));
  const auto report = ingest_stream(broken);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_NE(report.rejected[0].reason.find("would be invalid"), std::string::npos) << report.rejected[0].reason;
  EXPECT_EQ(report.accepted, 0);
  EXPECT_EQ(store_->item("digi-agder:1")->doc["title"], "One");
  // The stored record is the old one again, whole: the next read of it is unchanged.
  EXPECT_EQ(ingest(good).unchanged, 1);
}

TEST_F(IngestTest, TwoSourcesMergeIntoOneItemAndWithdrawingOneKeepsTheOther) {
  Batch ks;
  Json k = fragment_fields("DigiHelse");
  k["external_ids"] = Json{{{"system", "ks"}, {"id", "digihelse"}}};
  ks.fragments.push_back(fragment("ks:digihelse", k));
  ingest_batch(*store_, {"ks", "spreadsheet", 10}, Expected<Batch>(ks), false, now_rfc3339());

  // Rogaland's record names the KS id only as an external id: entity resolution attaches it to ks:digihelse.
  Batch rogaland;
  Json r = fragment_fields("Digihelse i Rogaland", "digi-rogaland");
  r["external_ids"] = Json{{{"system", "ks"}, {"id", "digihelse"}}, {{"system", "digi-rogaland"}, {"id", "A2101"}}};
  rogaland.fragments.push_back(fragment("digi-rogaland:A2101", r));
  ingest_batch(*store_, {"rogaland", "spreadsheet", 20}, Expected<Batch>(rogaland), false, now_rfc3339());

  EXPECT_FALSE(store_->item("digi-rogaland:A2101"));
  auto item = store_->item("ks:digihelse");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->doc["title"], "DigiHelse");
  EXPECT_EQ(item->doc["networks"], (Json{"digi-agder", "digi-rogaland"}));
  EXPECT_EQ(item->doc["provenance"].size(), 2u);

  ingest_batch(*store_, {"rogaland", "spreadsheet", 20}, Expected<Batch>(Batch{}), false, now_rfc3339());
  item = store_->item("ks:digihelse");
  ASSERT_TRUE(item);
  EXPECT_FALSE(item->deleted);
  EXPECT_EQ(item->doc["provenance"].size(), 1u);
  EXPECT_EQ(item->doc["networks"], (Json{"digi-agder"}));
}

Fragment attached_case(const std::string& case_number, const std::string& link_system, const std::string& link_id) {
  Fragment f;
  f.id = "arkiv:" + case_number;
  f.record = case_number;
  f.where = "melding.xml";
  f.attach_only = true;
  f.fields = {{"decisions",
               {{{"case_number", case_number},
                 {"title", "Vedtak om innføring"},
                 {"date", "2025-03-01"},
                 {"status", "Avsluttet"},
                 {"source", "arkiv"}}}},
              {"external_ids", {{{"system", link_system}, {"id", link_id}}}}};
  return f;
}

TEST_F(IngestTest, AttachOnlyRecordsJoinTheirItemOrWaitAsWarnings) {
  // The case arrives before the item it belongs to: it is reported, not stored, and no half item appears.
  Batch cases;
  cases.fragments.push_back(attached_case("2025/17", "esa", "2024/0311"));
  const SourceInfo arkiv{"arkiv", "fiks-arkiv", 50};
  auto report = ingest_batch(*store_, arkiv, Expected<Batch>(cases), false, now_rfc3339());
  EXPECT_EQ(report.unlinked, 1);
  EXPECT_EQ(report.accepted, 0);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_NE(report.warnings[0].reason.find("esa 2024/0311"), std::string::npos) << report.warnings[0].reason;
  EXPECT_EQ(store_->sequence(), 0);

  Batch items;
  Json f = fragment_fields("DigiHelse");
  f["external_ids"] = Json{{{"system", "esa"}, {"id", "2024/0311"}}};
  items.fragments.push_back(fragment("digi-agder:1", f));
  ingest(items);
  report = ingest_batch(*store_, arkiv, Expected<Batch>(cases), false, now_rfc3339());
  EXPECT_EQ(report.accepted, 1);
  auto item = store_->item("digi-agder:1");
  ASSERT_TRUE(item);
  ASSERT_EQ(item->doc["decisions"].size(), 1u);
  EXPECT_EQ(item->doc["decisions"][0]["case_number"], "2025/17");
  EXPECT_EQ(item->doc["title"], "DigiHelse");

  // When the owning source withdraws the item, the attached case goes with it instead of leaving a half item.
  ingest(Batch{});
  item = store_->item("digi-agder:1");
  ASSERT_TRUE(item);
  EXPECT_TRUE(item->deleted);
  report = ingest_batch(*store_, arkiv, Expected<Batch>(cases), false, now_rfc3339());
  EXPECT_EQ(report.unlinked, 1);
}

TEST_F(IngestTest, SnapshotPullsDoNotWithdrawPushedRecords) {
  Batch pulled;
  pulled.fragments.push_back(fragment("digi-agder:1", fragment_fields("From the folder")));
  ingest(pulled);
  Batch pushed;
  pushed.snapshot = false;
  pushed.fragments.push_back(fragment("digi-agder:2", fragment_fields("Pushed")));
  ingest_batch(*store_, source_, Expected<Batch>(pushed), false, now_rfc3339(), "push");
  const auto report = ingest(pulled);  // the folder still has only record 1
  EXPECT_EQ(report.removed, 0);
  EXPECT_EQ(report.unchanged, 1);
  ASSERT_TRUE(store_->item("digi-agder:2"));
  EXPECT_FALSE(store_->item("digi-agder:2")->deleted);
  ingest(Batch{});
  EXPECT_TRUE(store_->item("digi-agder:1")->deleted);
  EXPECT_FALSE(store_->item("digi-agder:2")->deleted);
}

}  // namespace
}  // namespace veikart
