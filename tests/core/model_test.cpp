#include "gateway/core/model.hpp"

#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace veikart {
namespace {

RoadmapItem full_item() {
  RoadmapItem item;
  item.id = "digi-rogaland:A2101";
  item.title = "Digital innbyggerdialog";
  item.summary = "Felles løsning for dialog med innbyggere – æøå";
  item.kind = ItemKind::joint_procurement;
  item.status = ItemStatus::rolling_out;
  item.owner = {OwnerType::network, "digi-rogaland", "Digi Rogaland"};
  item.networks = {"digi-rogaland", "digi-vestland"};
  item.municipalities = {"1103", "4601"};
  item.themes = {"e-health", "service-design"};
  item.priority = Priority{"rogaland-ab", "A", 1};
  item.milestones = {{"Oppstart", MilestoneKind::start, "2024-09-01", Precision::month, "høst 2024"},
                     {"Pilot", MilestoneKind::pilot, "2025-07-01", Precision::quarter, std::nullopt}};
  item.rollout_waves = {{"Bølge 1", {"digi-rogaland"}, {"1103"}, "2025-01-01", "2025-07-01", Precision::half},
                        {"Bølge 2", {}, {}, std::nullopt, std::nullopt, Precision::year}};
  item.costs = {{2025, CostCategory::investment, 1250000.5, CostPer::total, Funding::digifin},
                {2026, CostCategory::operation, 40000, CostPer::municipality, std::nullopt}};
  item.resources = {{"lokal prosjektleder", 0.5, "municipality"}};
  item.benefits = {{BenefitFor::citizens, BenefitKind::quality, "Raskere svar", std::nullopt},
                   {BenefitFor::municipality, BenefitKind::cost_reduction, "Færre telefoner", 300000.0}};
  item.risks = {"Manglende kapasitet i tjenesten"};
  item.requirements = {{"fiks-arkiv", "sak-arkiv", "2.1"}, {"svarut", std::nullopt, std::nullopt}};
  item.decisions = {{"2023/1234", "Vedtak om deltakelse", "2023-05-10", "vedtatt", "noark5"},
                    {"2024/77", "Orientering", std::nullopt, std::nullopt, std::nullopt}};
  item.external_ids = {{"digi-rogaland", "A2101"}, {"kommit", "K-17"}};
  item.links = {{"homepage", "https://example.org/a2101", "Prosjektside"}, {"doc", "https://example.org/d", {}}};
  item.provenance = {{"rogaland-sheet",
                      "spreadsheet",
                      "A2101",
                      "2026-01-02T03:04:05Z",
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                      {"title", "status"}}};
  item.conflicts = {{"status", {{"rogaland-sheet", "rolling_out"}, {"ks-api", "pilot"}}, "rolling_out"},
                    {"priority", {{"a", Json{{"rank", 1}}}, {"b", nullptr}}, Json{{"rank", 1}}}};
  item.updated_at = "2026-01-02T03:04:05Z";
  item.version = 42;
  item.deleted = true;
  return item;
}

RoadmapItem minimal_item() {
  RoadmapItem item;
  item.id = "ks:digihelse";
  item.title = "DigiHelse";
  item.kind = ItemKind::national_solution;
  item.status = ItemStatus::in_operation;
  item.owner = {OwnerType::ks, "ks", "KS"};
  return item;
}

Json minimal_json() {
  return Json{{"id", "ks:digihelse"},
              {"title", "DigiHelse"},
              {"kind", "national_solution"},
              {"status", "idea"},
              {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}}};
}

template <class Exception>
std::string message_of(const Json& j) {
  try {
    (void)j.get<RoadmapItem>();
  } catch (const Exception& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("wrong exception type: ") + e.what();
  }
  return "no exception";
}

TEST(ModelJson, FullyPopulatedItemRoundTrips) {
  const RoadmapItem item = full_item();
  Json j = item;
  EXPECT_EQ(j.get<RoadmapItem>(), item);
  // Through text too, so numbers and non-ASCII survive serialisation.
  EXPECT_EQ(Json::parse(j.dump()).get<RoadmapItem>(), item);
}

TEST(ModelJson, ToJsonWritesEveryFieldWithNullsAndEmptyArrays) {
  Json j = minimal_item();
  EXPECT_EQ(j.size(), 25u);
  EXPECT_TRUE(j.at("summary").is_null());
  EXPECT_TRUE(j.at("priority").is_null());
  for (const char* key :
       {"networks", "municipalities", "themes", "milestones", "rollout_waves", "costs", "resources", "benefits",
        "risks", "requirements", "decisions", "external_ids", "links", "provenance", "conflicts"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j.at(key).is_array()) << key;
    EXPECT_TRUE(j.at(key).empty()) << key;
  }
  EXPECT_TRUE(j.at("version").is_number_integer());
  EXPECT_TRUE(j.at("deleted").is_boolean());
  EXPECT_TRUE(j.at("updated_at").is_string());
  EXPECT_EQ(j.at("kind"), "national_solution");
  EXPECT_EQ(j.at("owner"), (Json{{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}));
}

TEST(ModelJson, SubObjectsWriteOptionalsAsNullAndBenefitForAsFor) {
  Json j = full_item();
  const Json& benefit = j.at("benefits").at(0);
  EXPECT_EQ(benefit.at("for"), "citizens");
  EXPECT_FALSE(benefit.contains("for_"));
  EXPECT_TRUE(benefit.at("amount_nok").is_null());
  EXPECT_TRUE(j.at("milestones").at(1).at("label").is_null());
  EXPECT_TRUE(j.at("costs").at(1).at("funding").is_null());
  EXPECT_TRUE(j.at("costs").at(0).at("amount_nok").is_number());
  EXPECT_DOUBLE_EQ(j.at("costs").at(0).at("amount_nok").get<double>(), 1250000.5);
  EXPECT_TRUE(j.at("rollout_waves").at(1).at("start").is_null());
  EXPECT_TRUE(j.at("rollout_waves").at(1).at("networks").is_array());
  EXPECT_TRUE(j.at("decisions").at(1).at("date").is_null());
  EXPECT_TRUE(j.at("links").at(1).at("title").is_null());
  EXPECT_EQ(j.at("priority"), (Json{{"scheme", "rogaland-ab"}, {"value", "A"}, {"rank", 1}}));
  EXPECT_EQ(j.at("version"), 42);
}

TEST(ModelJson, FromJsonTreatsAbsentOptionalAndArrayFieldsAsEmpty) {
  Json j = minimal_json();
  j["milestones"] = Json::array({{{"name", "Start"}, {"kind", "start"}, {"date", "2025-01-01"}, {"precision", "day"}}});
  j["summary"] = nullptr;
  j["priority"] = nullptr;
  auto item = j.get<RoadmapItem>();
  EXPECT_EQ(item.id, "ks:digihelse");
  EXPECT_FALSE(item.summary.has_value());
  EXPECT_FALSE(item.priority.has_value());
  EXPECT_TRUE(item.networks.empty());
  EXPECT_TRUE(item.provenance.empty());
  EXPECT_EQ(item.version, 0);
  EXPECT_FALSE(item.deleted);
  EXPECT_EQ(item.updated_at, "");
  ASSERT_EQ(item.milestones.size(), 1u);
  EXPECT_FALSE(item.milestones[0].label.has_value());
}

TEST(ModelJson, FromJsonRejectsMissingRequiredFieldsNamingThem) {
  for (const char* key : {"id", "title", "kind", "status", "owner"}) {
    Json j = minimal_json();
    j.erase(key);
    EXPECT_NE(message_of<Json::out_of_range>(j).find(std::string("/") + key), std::string::npos) << key;
  }
  Json j = minimal_json();
  j["owner"].erase("name");
  EXPECT_NE(message_of<Json::out_of_range>(j).find("/owner/name"), std::string::npos);

  j = minimal_json();
  j["milestones"] = Json::array({{{"name", "Start"}, {"kind", "start"}, {"precision", "day"}}});
  EXPECT_NE(message_of<Json::out_of_range>(j).find("/milestones/0/date"), std::string::npos);

  j = minimal_json();
  j["conflicts"] = Json::array({{{"field", "title"}}});
  EXPECT_NE(message_of<Json::out_of_range>(j).find("/conflicts/0/chosen"), std::string::npos);
}

TEST(ModelJson, FromJsonRejectsWrongTypesNamingThePath) {
  struct Case {
    Json::json_pointer where;
    Json value;
  };
  Json base = full_item();
  const std::vector<Case> cases = {
      {"/title"_json_pointer, 5},
      {"/summary"_json_pointer, false},
      {"/milestones/0/date"_json_pointer, 20250701},
      {"/priority/rank"_json_pointer, true},  // nlohmann would turn a boolean into 1
      {"/priority/rank"_json_pointer, 1.5},   // ... and truncate a float
      {"/version"_json_pointer, "42"},
      {"/deleted"_json_pointer, "yes"},
      {"/networks/1"_json_pointer, 7},
      {"/networks"_json_pointer, "digi-rogaland"},
      {"/owner"_json_pointer, "ks"},
      {"/costs/0/amount_nok"_json_pointer, "1000"},
      {"/rollout_waves/0/municipalities/0"_json_pointer, 1103},
      {"/provenance/0/fields"_json_pointer, nullptr},
      {"/kind"_json_pointer, 1},
  };
  for (const auto& c : cases) {
    Json j = base;
    j[c.where] = c.value;
    std::string message = message_of<Json::type_error>(j);
    EXPECT_NE(message.find(c.where.to_string()), std::string::npos) << c.where << ": " << message;
  }
  EXPECT_NE(message_of<Json::type_error>(Json::array()).find("expected object"), std::string::npos);
}

TEST(ModelJson, FromJsonRejectsUnknownEnumValuesForEveryEnum) {
  const std::vector<Json::json_pointer> enum_fields = {
      "/kind"_json_pointer,
      "/status"_json_pointer,
      "/owner/type"_json_pointer,
      "/milestones/0/kind"_json_pointer,
      "/milestones/0/precision"_json_pointer,
      "/rollout_waves/0/precision"_json_pointer,
      "/costs/0/category"_json_pointer,
      "/costs/0/per"_json_pointer,
      "/costs/0/funding"_json_pointer,
      "/benefits/1/for"_json_pointer,
      "/benefits/1/kind"_json_pointer,
  };
  Json base = full_item();
  for (const auto& where : enum_fields) {
    Json j = base;
    j[where] = "no_such_value";
    std::string message = message_of<std::invalid_argument>(j);
    EXPECT_NE(message.find(where.to_string()), std::string::npos) << where << ": " << message;
    EXPECT_NE(message.find("no_such_value"), std::string::npos) << where << ": " << message;
  }
}

TEST(ModelJson, FromJsonAcceptsEveryDocumentedEnumValue) {
  auto with = [](const char* key, const char* value) {
    Json j = minimal_json();
    j[key] = value;
    return j.get<RoadmapItem>();
  };
  EXPECT_EQ(with("kind", "competence_programme").kind, ItemKind::competence_programme);
  EXPECT_EQ(with("status", "cancelled").status, ItemStatus::cancelled);
  EXPECT_EQ(with("status", "idea").status, ItemStatus::idea);
  for (const char* s : {"idea", "assessed", "prioritised", "in_development", "pilot", "ready", "rolling_out",
                        "in_operation", "paused", "cancelled"}) {
    EXPECT_EQ(Json(with("status", s).status), s);
  }
  for (const char* s : {"start", "decision", "pilot", "rollout_start", "rollout_end", "end", "other"}) {
    EXPECT_EQ(Json(Json(s).get<MilestoneKind>()), s);
    auto m = Json{{"name", "x"}, {"kind", s}, {"date", "2025-01-01"}, {"precision", "year"}}.get<Milestone>();
    EXPECT_EQ(Json(m.kind), s);
  }
  for (const char* s : {"digifin", "state", "county", "membership", "own", "other"}) {
    auto c =
        Json{{"year", 2025}, {"category", "project"}, {"amount_nok", 1}, {"per", "total"}, {"funding", s}}.get<Cost>();
    ASSERT_TRUE(c.funding.has_value());
    EXPECT_EQ(Json(*c.funding), s);
  }
}

TEST(ModelJson, FailedParseLeavesTargetUntouched) {
  RoadmapItem item = full_item();
  Json j = minimal_json();
  j["status"] = "bogus";
  EXPECT_THROW(from_json(j, item), std::invalid_argument);
  EXPECT_EQ(item, full_item());
}

TEST(ModelSourceFields, AreTheNonGatewayFieldsInModelOrder) {
  const std::vector<std::string> expected = {
      "id",           "title",     "summary",      "kind",          "status", "owner",     "networks", "municipalities",
      "themes",       "priority",  "milestones",   "rollout_waves", "costs",  "resources", "benefits", "risks",
      "requirements", "decisions", "external_ids", "links"};
  EXPECT_EQ(source_fields(), expected);

  Json j = minimal_item();
  std::set<std::string> written;
  for (const auto& [key, value] : j.items()) written.insert(key);
  for (const char* owned : {"provenance", "conflicts", "updated_at", "version", "deleted"}) {
    EXPECT_EQ(written.erase(owned), 1u) << owned;
  }
  EXPECT_EQ(written, std::set<std::string>(expected.begin(), expected.end()));
}

Milestone milestone_at(const char* date, Precision p) { return {"m", MilestoneKind::other, date, p, std::nullopt}; }

TEST(ModelDateSpan, ReachesTheEndOfEachPrecisionsPeriod) {
  struct Case {
    const char* date;
    Precision precision;
    const char* last;
  };
  const std::vector<Case> cases = {
      {"2025-07-15", Precision::day, "2025-07-15"},     {"2025-02-01", Precision::month, "2025-02-28"},
      {"2024-02-01", Precision::month, "2024-02-29"},   {"2025-04-01", Precision::month, "2025-04-30"},
      {"2025-07-01", Precision::quarter, "2025-09-30"}, {"2025-10-01", Precision::quarter, "2025-12-31"},
      {"2025-01-01", Precision::half, "2025-06-30"},    {"2025-07-01", Precision::half, "2025-12-31"},
      {"2025-01-01", Precision::year, "2025-12-31"},
  };
  for (const auto& c : cases) {
    RoadmapItem item = minimal_item();
    item.milestones = {milestone_at(c.date, c.precision)};
    DateSpan span = date_span(item);
    EXPECT_EQ(span.first, c.date) << c.date;
    EXPECT_EQ(span.last, c.last) << c.date;
  }
}

TEST(ModelDateSpan, CoversMilestonesAndWaves) {
  RoadmapItem item = minimal_item();
  EXPECT_EQ(date_span(item).first, "");
  EXPECT_EQ(date_span(item).last, "");

  item.milestones = {milestone_at("2025-03-10", Precision::day), milestone_at("2024-11-01", Precision::month)};
  item.rollout_waves = {{"w1", {}, {}, "2025-01-01", "2026-01-01", Precision::quarter},
                        {"w2", {}, {}, std::nullopt, std::nullopt, Precision::year}};
  DateSpan span = date_span(item);
  EXPECT_EQ(span.first, "2024-11-01");
  EXPECT_EQ(span.last, "2026-03-31");

  // A wave with only a start still reaches the end of its period.
  item.rollout_waves = {{"w", {}, {}, "2027-01-01", std::nullopt, Precision::year}};
  EXPECT_EQ(date_span(item).last, "2027-12-31");
}

TEST(ModelHash, Sha256MatchesKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view("a\0b", 3)), sha256_hex(std::string("a\0b", 3)));
  EXPECT_NE(sha256_hex(std::string_view("a\0b", 3)), sha256_hex("a"));
}

TEST(ModelJson, ReleaseTreeEmptiesContainersAtAnyDepth) {
  Json fragment =
      Json::parse(R"({"title":"T","milestones":[{"date":"2027-04-01","kind":"start"}],"owner":{"id":"ks"}})");
  release_tree(fragment);
  EXPECT_EQ(fragment, Json::object());
  Json list = Json::parse(R"([1, [2, [3]], {"a": [4]}])");
  release_tree(list);
  EXPECT_EQ(list, Json::array());
  Json text = "stays";
  release_tree(text);
  EXPECT_EQ(text, "stays");
  // Deeper than release_tree descends: the rest goes to nlohmann's own destructor, without recursion limits.
  Json deep = Json::array();
  Json* at = &deep;
  for (int i = 0; i < 5000; ++i) at = &at->emplace_back(Json::array());
  at->push_back("bottom");
  release_tree(deep);
  EXPECT_EQ(deep, Json::array());
}

TEST(ModelTime, NowIsUtcRfc3339WithSeconds) {
  std::string now = now_rfc3339();
  EXPECT_TRUE(std::regex_match(now, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"))) << now;
  std::time_t t = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&t, &utc);
  EXPECT_EQ(std::stoi(now.substr(0, 4)), utc.tm_year + 1900);
}

}  // namespace
}  // namespace veikart
