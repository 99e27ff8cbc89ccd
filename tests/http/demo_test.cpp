// The bundled demo as a user meets it: config/demo.yaml loads, every demo source is read (the pulling ones from
// the fake upstreams with the demo data), the feed holds at least 30 valid items across at least 6 networks, and
// the messy Rogaland export's bad rows are reported.

#include <gtest/gtest.h>

#include "adapters/registry.hpp"
#include "fake_upstreams.hpp"
#include "gateway/core/schema.hpp"
#include "gateway/runtime.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::source_dir;
using testing::TempDir;

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    adapters::register_all(registry_);
    auto result = load_config(source_dir() / "config" / "demo.yaml", registry_);
    std::string problems;
    for (const auto& p : result.problems) problems += p.where + ": " + p.reason + "\n";
    ASSERT_TRUE(result.config) << problems;
    config_ = std::move(*result.config);
    // The demo's pulling sources read the fake upstreams that `make demo` starts; here they run on free ports.
    upstreams_ = std::make_unique<testing::FakeUpstreams>(dir_.path());
    upstreams_->localise(config_);
    auto ref = load_reference(config_);
    ASSERT_TRUE(ref) << ref.error().message;
    reference_ = std::move(*ref);
    store_ = open_sqlite_store(dir_.path().string());
    for (const auto& source : config_.sources) {
      reports_.push_back(run_source_once(source, registry_, reference_, *store_, {}, false));
    }
  }

  AdapterRegistry registry_;
  GatewayConfig config_;
  Reference reference_;
  TempDir dir_;
  std::unique_ptr<testing::FakeUpstreams> upstreams_;
  std::unique_ptr<Store> store_;
  std::vector<IngestReport> reports_;
};

TEST_F(DemoTest, EverySourceReadsAndTheFeedHoldsValidItemsAcrossNetworks) {
  ASSERT_GE(config_.sources.size(), 5u);
  for (const auto& r : reports_) {
    EXPECT_FALSE(r.read_failed) << r.source << ": " << r.error;
    EXPECT_GT(r.accepted, 0) << r.source;
  }
  Metrics metrics;
  Api api({*store_, config_, reference_, metrics});
  HttpRequest req;
  req.method = "GET";
  parse_target(req, "/v1/roadmap?limit=1000");
  const auto res = api.handle(req);
  ASSERT_EQ(res.status, 200);
  const Json body = Json::parse(res.body);
  EXPECT_GE(body["items"].size(), 30u);
  std::set<std::string> networks;
  std::set<std::string> kinds;
  for (const auto& item : body["items"]) {
    const auto issues = roadmap_item_schema().validate(item);
    EXPECT_TRUE(issues.empty()) << item["id"] << ": "
                                << (issues.empty() ? "" : issues[0].where + " " + issues[0].reason);
    for (const auto& n : item["networks"]) networks.insert(n);
    kinds.insert(item["kind"]);
  }
  EXPECT_GE(networks.size(), 6u);
  EXPECT_TRUE(kinds.count("national_solution"));
  EXPECT_TRUE(kinds.count("joint_procurement"));
}

TEST_F(DemoTest, MessyRogalandExportRejectsItsBadRowsByRowNumber) {
  const IngestReport* rogaland = nullptr;
  for (const auto& r : reports_) {
    if (r.source == "digi-rogaland-portefolje") rogaland = &r;
  }
  ASSERT_NE(rogaland, nullptr);
  EXPECT_EQ(rogaland->rejected.size(), 3u);
  for (const auto& issue : rogaland->rejected) {
    EXPECT_EQ(issue.where.rfind("row ", 0), 0u) << issue.where;
    EXPECT_FALSE(issue.reason.empty());
  }
  const auto runs = store_->runs("digi-rogaland-portefolje", 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "partial");
  EXPECT_EQ(runs[0].rejected, 3);
}

TEST_F(DemoTest, NationalSolutionsMergeNetworkRowsWithProvenanceAndConflicts) {
  auto item = store_->item("ks:digihelse");
  ASSERT_TRUE(item);
  std::set<std::string> sources;
  for (const auto& p : item->doc["provenance"]) sources.insert(p["source"]);
  EXPECT_GE(sources.size(), 2u) << item->doc.dump(2);
  EXPECT_FALSE(item->doc["conflicts"].empty()) << item->doc.dump(2);
}

TEST_F(DemoTest, TheRoadmapApiAndTheArchiveAddItemsAndDecisions) {
  auto plan = store_->item("ks:fiks-plan");  // only in the Fiks-style API
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->doc["status"], "pilot");
  ASSERT_EQ(plan->doc["decisions"].size(), 1u) << plan->doc.dump(2);  // linked in demo.yaml
  EXPECT_EQ(plan->doc["decisions"][0]["case_number"], "2025/311");
  auto kobo = store_->item("ks:kobo");  // the archive case names Digi Rogaland's case number, which the row carries
  ASSERT_TRUE(kobo);
  std::set<std::string> cases;
  for (const auto& d : kobo->doc["decisions"]) cases.insert(d["case_number"]);
  EXPECT_TRUE(cases.count("2024/587")) << kobo->doc["decisions"].dump();
  std::set<std::string> sources;
  for (const auto& p : kobo->doc["provenance"]) sources.insert(p["source"]);
  EXPECT_TRUE(sources.count("ks-fiks-veikart") && sources.count("stavanger-arkiv")) << kobo->doc["provenance"].dump();
}

TEST_F(DemoTest, SecondPassChangesNothing) {
  const auto seq = store_->sequence();
  for (const auto& source : config_.sources) {
    const auto r = run_source_once(source, registry_, reference_, *store_, {}, false);
    EXPECT_EQ(r.accepted, 0) << source.config.name;
  }
  EXPECT_EQ(store_->sequence(), seq);
}

}  // namespace
}  // namespace veikart
