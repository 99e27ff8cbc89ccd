#include "gateway/core/schema.hpp"

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "gateway/core/model.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

RoadmapItem full_item() {
  RoadmapItem item;
  item.id = "digi-rogaland:A2101";
  item.title = "Digital innbyggerdialog";
  item.summary = "Felles løsning – æøå";
  item.kind = ItemKind::regional_project;
  item.status = ItemStatus::pilot;
  item.owner = {OwnerType::municipality, "1103", "Stavanger"};
  item.networks = {"digi-rogaland"};
  item.municipalities = {"1103", "0301"};
  item.themes = {"e-health"};
  item.priority = Priority{"trondelag-horizon", "H1", 2};
  item.milestones = {{"Pilot", MilestoneKind::pilot, "2025-07-01", Precision::quarter, "Q3 2025"},
                     {"Slutt", MilestoneKind::end, "2026-12-31", Precision::day, std::nullopt}};
  item.rollout_waves = {{"Bølge 1", {"digi-rogaland"}, {"1103"}, "2025-01-01", std::nullopt, Precision::half}};
  item.costs = {{2025, CostCategory::project, 99.5, CostPer::municipality, Funding::own},
                {2026, CostCategory::operation, 10, CostPer::total, std::nullopt}};
  item.resources = {{"lokal prosjektleder", 0.5, "municipality"}};
  item.benefits = {{BenefitFor::citizens, BenefitKind::environment, "Mindre papir", 1000.0},
                   {BenefitFor::municipality, BenefitKind::security, "Bedre tilgangsstyring", std::nullopt}};
  item.risks = {"Manglende kapasitet i tjenesten"};
  item.requirements = {{"fiks-arkiv", "sak-arkiv", std::nullopt}};
  item.decisions = {{"2023/1234", "Vedtak", "2023-05-10", "vedtatt", std::nullopt}};
  item.external_ids = {{"digi-rogaland", "A2101"}};
  item.links = {{"homepage", "https://example.org", std::nullopt}};
  item.provenance = {{"sheet", "spreadsheet", "A2101", "2026-01-02T03:04:05Z", sha256_hex("row"), {"title"}}};
  item.conflicts = {{"status", {{"sheet", "pilot"}, {"api", 3}}, "pilot"}};
  item.updated_at = "2026-01-02T03:04:05+01:00";
  item.version = 7;
  item.deleted = false;
  return item;
}

RoadmapItem minimal_item() {
  RoadmapItem item;
  item.id = "ks:digihelse";
  item.title = "DigiHelse";
  item.owner = {OwnerType::ks, "ks", "KS"};
  item.updated_at = "2026-11-22T10:00:00Z";
  return item;
}

std::string describe(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues) out += "[" + i.where + ": " + i.reason + "] ";
  return out;
}

bool has_issue_at(const std::vector<Issue>& issues, const std::string& where) {
  for (const auto& i : issues) {
    if (i.where == where) return true;
  }
  return false;
}

std::vector<Issue> validate_with(const Json::json_pointer& where, const Json& value) {
  Json j = full_item();
  j[where] = value;
  return roadmap_item_schema().validate(j);
}

TEST(RoadmapItemSchema, AcceptsAFullyPopulatedItemAsToJsonWritesIt) {
  auto issues = roadmap_item_schema().validate(Json(full_item()));
  EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(RoadmapItemSchema, AcceptsAMinimalItem) {
  auto issues = roadmap_item_schema().validate(Json(minimal_item()));
  EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(RoadmapItemSchema, TopLevelPropertiesAreExactlyTheKeysToJsonWrites) {
  Json schema = Json::parse(testing::read_file(testing::source_dir() / "schemas" / "roadmap-item.schema.json"));
  std::set<std::string> in_schema;
  for (const auto& [key, value] : schema.at("properties").items()) in_schema.insert(key);
  const Json minimal = minimal_item();  // named: a temporary would die before the loop runs
  std::set<std::string> written;
  for (const auto& [key, value] : minimal.items()) written.insert(key);
  EXPECT_EQ(in_schema, written);
  EXPECT_EQ(schema.at("required").get<std::set<std::string>>(), written);
  EXPECT_EQ(schema.at("additionalProperties"), false);
  EXPECT_EQ(schema.at("$schema"), "https://json-schema.org/draft/2020-12/schema");
}

TEST(RoadmapItemSchema, SubObjectRequiredMembersMatchWhatFromJsonRequires) {
  // Removing a member the schema requires must also make from_json throw, and vice versa for the optional
  // ones, so the two gates agree on what a valid item is.
  Json schema = Json::parse(testing::read_file(testing::source_dir() / "schemas" / "roadmap-item.schema.json"));
  const Json item = full_item();
  struct Sub {
    const char* def;
    Json::json_pointer where;
  };
  const std::vector<Sub> subs = {
      {"owner", "/owner"_json_pointer},
      {"priority", "/priority"_json_pointer},
      {"milestone", "/milestones/0"_json_pointer},
      {"rollout_wave", "/rollout_waves/0"_json_pointer},
      {"cost", "/costs/0"_json_pointer},
      {"resource", "/resources/0"_json_pointer},
      {"benefit", "/benefits/0"_json_pointer},
      {"requirement", "/requirements/0"_json_pointer},
      {"decision", "/decisions/0"_json_pointer},
      {"external_id", "/external_ids/0"_json_pointer},
      {"link", "/links/0"_json_pointer},
      {"provenance_entry", "/provenance/0"_json_pointer},
      {"conflict", "/conflicts/0"_json_pointer},
      {"conflict_value", "/conflicts/0/values/0"_json_pointer},
  };
  for (const auto& sub : subs) {
    const Json& def = schema.at("$defs").at(sub.def);
    EXPECT_EQ(def.at("additionalProperties"), false) << sub.def;
    auto required = def.at("required").get<std::set<std::string>>();
    std::set<std::string> written;
    for (const auto& [key, value] : item.at(sub.where).items()) written.insert(key);
    std::set<std::string> in_schema;
    for (const auto& [key, value] : def.at("properties").items()) in_schema.insert(key);
    EXPECT_EQ(in_schema, written) << sub.def;
    for (const auto& key : written) {
      Json j = item;
      j[sub.where].erase(key);
      bool schema_rejects = !roadmap_item_schema().validate(j).empty();
      bool from_json_rejects = false;
      try {
        (void)j.get<RoadmapItem>();
      } catch (const std::exception&) {
        from_json_rejects = true;
      }
      EXPECT_EQ(schema_rejects, required.count(key) == 1) << sub.def << "." << key;
      EXPECT_EQ(from_json_rejects, required.count(key) == 1) << sub.def << "." << key;
    }
  }
}

TEST(RoadmapItemSchema, RejectsUnknownValuesOfEveryEnum) {
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
      "/benefits/0/for"_json_pointer,
      "/benefits/0/kind"_json_pointer,
      "/resources/0/per"_json_pointer,
  };
  for (const auto& where : enum_fields) {
    auto issues = validate_with(where, "no_such_value");
    ASSERT_EQ(issues.size(), 1u) << where << " " << describe(issues);
    EXPECT_EQ(issues[0].where, where.to_string());
    EXPECT_NE(issues[0].reason.find("no_such_value"), std::string::npos) << issues[0].reason;
  }
}

TEST(RoadmapItemSchema, WrongTypesAreReportedAtTheFieldOnce) {
  struct Case {
    Json::json_pointer where;
    Json value;
  };
  const std::vector<Case> cases = {
      {"/milestones/0/date"_json_pointer, 20250701},
      {"/title"_json_pointer, 5},
      {"/version"_json_pointer, 1.5},
      {"/deleted"_json_pointer, "false"},
      {"/networks"_json_pointer, nullptr},
      {"/priority"_json_pointer, "A"},
      {"/priority/rank"_json_pointer, "1"},
      {"/costs/0/amount_nok"_json_pointer, "10"},
      {"/benefits/0/amount_nok"_json_pointer, "1"},
      {"/owner"_json_pointer, Json::array()},
      {"/summary"_json_pointer, 1},
      {"/rollout_waves/0/end"_json_pointer, false},
  };
  for (const auto& c : cases) {
    auto issues = validate_with(c.where, c.value);
    ASSERT_EQ(issues.size(), 1u) << c.where << " " << describe(issues);
    EXPECT_EQ(issues[0].where, c.where.to_string()) << describe(issues);
    EXPECT_NE(issues[0].reason.find("wrong type"), std::string::npos) << issues[0].reason;
  }
}

TEST(RoadmapItemSchema, RejectsBadFormatsAndRanges) {
  struct Case {
    Json::json_pointer where;
    Json value;
  };
  const std::vector<Case> cases = {
      {"/milestones/0/date"_json_pointer, "2025-7-1"},
      {"/milestones/0/date"_json_pointer, "Q3 2025"},
      {"/decisions/0/date"_json_pointer, "10.05.2023"},
      {"/rollout_waves/0/start"_json_pointer, "2025"},
      {"/municipalities/1"_json_pointer, "301"},
      {"/rollout_waves/0/municipalities/0"_json_pointer, "11030"},
      {"/networks/0"_json_pointer, "Digi Rogaland"},
      {"/themes/0"_json_pointer, "-health"},
      {"/id"_json_pointer, "A2101"},
      {"/id"_json_pointer, "Digi:A2101"},
      {"/id"_json_pointer, "ks:digi helse"},
      {"/priority/rank"_json_pointer, 0},
      {"/priority/rank"_json_pointer, 6},
      {"/updated_at"_json_pointer, "2026-01-02"},
      {"/provenance/0/fetched_at"_json_pointer, "yesterday"},
      {"/version"_json_pointer, -1},
      {"/title"_json_pointer, ""},
  };
  for (const auto& c : cases) {
    auto issues = validate_with(c.where, c.value);
    ASSERT_EQ(issues.size(), 1u) << c.where << "=" << c.value << " " << describe(issues);
    EXPECT_EQ(issues[0].where, c.where.to_string()) << describe(issues);
    EXPECT_FALSE(issues[0].reason.empty());
  }
  EXPECT_NE(validate_with("/priority/rank"_json_pointer, 6)[0].reason.find("5"), std::string::npos);
  EXPECT_NE(validate_with("/municipalities/1"_json_pointer, "301")[0].reason.find("\"301\""), std::string::npos);
}

TEST(RoadmapItemSchema, AcceptsNullWhereTheModelIsOptional) {
  for (const char* where : {"/summary", "/priority", "/milestones/0/label", "/costs/0/funding",
                            "/benefits/0/amount_nok", "/decisions/0/date", "/rollout_waves/0/start"}) {
    auto issues = validate_with(Json::json_pointer(where), nullptr);
    EXPECT_TRUE(issues.empty()) << where << " " << describe(issues);
  }
}

TEST(RoadmapItemSchema, ReportsMissingAndUnknownFieldsAtTheField) {
  Json j = full_item();
  j.erase("title");
  j["milestones"][1].erase("date");
  j["owner"]["colour"] = "blue";
  j["a/b"] = 1;
  auto issues = roadmap_item_schema().validate(j);
  EXPECT_TRUE(has_issue_at(issues, "/title")) << describe(issues);
  EXPECT_TRUE(has_issue_at(issues, "/milestones/1/date")) << describe(issues);
  EXPECT_TRUE(has_issue_at(issues, "/owner/colour")) << describe(issues);
  EXPECT_TRUE(has_issue_at(issues, "/a~1b")) << describe(issues);
  EXPECT_EQ(issues.size(), 4u) << describe(issues);
}

TEST(RoadmapItemSchema, CollectsSeveralProblemsInOneDocument) {
  Json j = full_item();
  j["milestones"][0]["date"] = 1;
  j["costs"][1]["year"] = "2026";
  j["status"] = "done";
  auto issues = roadmap_item_schema().validate(j);
  EXPECT_EQ(issues.size(), 3u) << describe(issues);
  EXPECT_TRUE(has_issue_at(issues, "/milestones/0/date"));
  EXPECT_TRUE(has_issue_at(issues, "/costs/1/year"));
  EXPECT_TRUE(has_issue_at(issues, "/status"));
}

TEST(RoadmapItemSchema, RejectsANonObject) {
  auto issues = roadmap_item_schema().validate(Json::array());
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].where, "");
}

TEST(FragmentSchema, AcceptsPartialObjects) {
  EXPECT_TRUE(fragment_schema().validate(Json::object()).empty());
  Json partial = {
      {"title", "Ny tittel"},
      {"status", "pilot"},
      {"milestones",
       Json::array({{{"name", "Pilot"}, {"kind", "pilot"}, {"date", "2025-07-01"}, {"precision", "quarter"}}})}};
  auto issues = fragment_schema().validate(partial);
  EXPECT_TRUE(issues.empty()) << describe(issues);
  // Every source field of a full item is allowed in a fragment, except the id that travels beside them.
  Json all = full_item();
  Json fields = Json::object();
  for (const auto& key : source_fields()) {
    if (key != "id") fields[key] = all.at(key);
  }
  issues = fragment_schema().validate(fields);
  EXPECT_TRUE(issues.empty()) << describe(issues);
}

TEST(FragmentSchema, RejectsGatewayOwnedFieldsAndTheId) {
  Json full = full_item();
  for (const char* key : {"version", "provenance", "conflicts", "updated_at", "deleted", "id"}) {
    Json fragment = {{"title", "x"}, {key, full.at(key)}};
    auto issues = fragment_schema().validate(fragment);
    ASSERT_EQ(issues.size(), 1u) << key << " " << describe(issues);
    EXPECT_EQ(issues[0].where, std::string("/") + key);
  }
}

TEST(FragmentSchema, StillChecksTypesAndSubObjects) {
  Json fragment = {{"milestones", Json::array({{{"name", "Pilot"}, {"kind", "pilot"}, {"date", 1}}})}};
  auto issues = fragment_schema().validate(fragment);
  EXPECT_TRUE(has_issue_at(issues, "/milestones/0/date")) << describe(issues);
  EXPECT_TRUE(has_issue_at(issues, "/milestones/0/precision")) << describe(issues);
  EXPECT_EQ(issues.size(), 2u) << describe(issues);
  EXPECT_FALSE(fragment_schema().validate(Json{{"kind", "national"}}).empty());
  EXPECT_FALSE(fragment_schema().validate(Json{{"extra", 1}}).empty());
}

TEST(JsonSchema, RejectsBrokenSchemasWithInvalidArgument) {
  EXPECT_THROW(JsonSchema("{not json"), std::invalid_argument);
  EXPECT_THROW(JsonSchema(R"({"$ref": "https://elsewhere.example/x.json"})"), std::invalid_argument);
  EXPECT_THROW(JsonSchema(R"({"properties": {"a": 5}})"), std::invalid_argument);
}

TEST(JsonSchema, WorksAfterMoveAndForAdHocSchemas) {
  JsonSchema a(R"({"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}}})");
  JsonSchema b = std::move(a);
  EXPECT_TRUE(b.validate(Json{{"n", 2}}).empty());
  auto issues = b.validate(Json{{"n", 4}});
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_EQ(issues[0].where, "/n");
  EXPECT_EQ(issues[0].reason.find(".000000"), std::string::npos) << issues[0].reason;
}

}  // namespace
}  // namespace veikart
