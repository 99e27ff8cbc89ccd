// POST /v1/schedules: KS pushes roadmap items; they enter the feed through the pipeline as the built-in source
// ks-schedules, checked against the fragment schema with a pointer per rejected item.

#include <gtest/gtest.h>

#include <algorithm>

#include "push_test_support.hpp"

namespace veikart {
namespace {

using testing::PushApi;

Json schedule_item(const std::string& id, const std::string& status = "rolling_out") {
  return {{"id", id},
          {"title", "Digihelse"},
          {"kind", "national_solution"},
          {"status", status},
          {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}},
          {"networks", {"digi-agder"}},
          {"milestones",
           {{{"name", "Innføring"},
             {"kind", "rollout_start"},
             {"date", "2026-09-01"},
             {"precision", "quarter"},
             {"label", "Q3 2026"}}}}};
}

TEST(Schedules, ItemsEnterTheFeedWithProvenance) {
  PushApi api;
  const Json body = {{"items", {schedule_item("ks:digihelse"), schedule_item("ks:svarut", "pilot")}}};
  auto r = api.send("POST", "/v1/schedules", api.keys.publisher.key, body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const Json receipt = Json::parse(r.body);
  EXPECT_EQ(receipt["source"], "ks-schedules");
  EXPECT_EQ(receipt["accepted"], 2);
  auto item = api.send("GET", "/v1/roadmap/ks:digihelse", "");
  ASSERT_EQ(item.status, 200) << item.body;
  const Json doc = Json::parse(item.body);
  EXPECT_EQ(doc["provenance"][0]["source"], "ks-schedules");
  EXPECT_EQ(doc["provenance"][0]["record"], "ks:digihelse");
  EXPECT_GT(doc["version"].get<int>(), 0);
  EXPECT_FALSE(doc["updated_at"].get<std::string>().empty());
  // Pushing the same items again changes nothing.
  r = api.send("POST", "/v1/schedules", api.keys.publisher.key, body.dump());
  EXPECT_EQ(Json::parse(r.body)["unchanged"], 2);
}

TEST(Schedules, TheBuiltInSourceIsListedOnceSomethingWasPushed) {
  PushApi api;
  auto names = [&] {
    std::vector<std::string> out;
    const Json listed = Json::parse(api.send("GET", "/v1/sources", "").body);
    for (const auto& s : listed["sources"]) out.push_back(s["name"]);
    return out;
  };
  const auto before = names();
  EXPECT_EQ(std::count(before.begin(), before.end(), "ks-schedules"), 0);
  ASSERT_EQ(api.send("POST", "/v1/schedules", api.keys.publisher.key, Json({{"items", {schedule_item("ks:a")}}}).dump())
                .status,
            200);
  const Json sources = Json::parse(api.send("GET", "/v1/sources", "").body)["sources"];
  const Json* found = nullptr;
  for (const auto& s : sources) {
    if (s["name"] == "ks-schedules") found = &s;
  }
  ASSERT_NE(found, nullptr) << sources.dump();
  EXPECT_EQ((*found)["type"], "ks-schedules");
  EXPECT_TRUE((*found)["interval_seconds"].is_null());
  EXPECT_EQ((*found)["status"], "ok");
  EXPECT_EQ((*found)["state"], "ok");
  EXPECT_EQ((*found)["last_run"]["accepted"], 1);
}

TEST(Schedules, BadItemsAreNamedByPointer) {
  PushApi api;
  Json owned = schedule_item("ks:c");
  owned["provenance"] = Json::array();
  owned["version"] = 7;
  Json no_id = schedule_item("x");
  no_id.erase("id");
  const Json body = {{"items", {schedule_item("ks:a"), schedule_item("ks:b", "almost-done"), owned, no_id, "text"}}};
  auto r = api.send("POST", "/v1/schedules", api.keys.publisher.key, body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const Json receipt = Json::parse(r.body);
  EXPECT_EQ(receipt["accepted"], 1);
  std::map<std::string, std::string> reasons;
  for (const auto& e : receipt["rejected"]) reasons[e["pointer"]] = e["reason"];
  EXPECT_NE(reasons["/items/1"].find("/status"), std::string::npos) << receipt.dump();
  EXPECT_NE(reasons["/items/2"].find("set by the gateway"), std::string::npos) << receipt.dump();
  EXPECT_TRUE(reasons.count("/items/3/id")) << receipt.dump();
  EXPECT_TRUE(reasons.count("/items/4")) << receipt.dump();
  EXPECT_EQ(api.send("GET", "/v1/roadmap/ks:b", "").status, 404);

  // Nothing usable: 422 with the same pointers.
  r = api.send("POST", "/v1/schedules", api.keys.publisher.key,
               Json({{"items", {schedule_item("ks:z", "nope")}}}).dump());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Json::parse(r.body)["errors"][0]["pointer"], "/items/0");
}

TEST(Schedules, BodyShapeAndMediaType) {
  PushApi api;
  EXPECT_EQ(api.send("POST", "/v1/schedules", api.keys.publisher.key, "[]").status, 400);
  EXPECT_EQ(api.send("POST", "/v1/schedules", api.keys.publisher.key, "{\"items\": [], \"x\": 1}").status, 400);
  EXPECT_EQ(api.send("POST", "/v1/schedules", api.keys.publisher.key, "{\"items\": []}", "text/plain").status, 415);
  EXPECT_EQ(api.send("GET", "/v1/schedules", api.keys.publisher.key).status, 405);
  EXPECT_EQ(api.store().sequence(), 0);
}

}  // namespace
}  // namespace veikart
