#include <gtest/gtest.h>

#include <cstdlib>

#include "adapters/registry.hpp"
#include "adapters/spreadsheet/spreadsheet_adapter.hpp"
#include "gateway/core/schema.hpp"
#include "test_support.hpp"
#include "veikart_embedded.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using veikart::testing::read_file;
using veikart::testing::source_dir;
using veikart::testing::TempDir;
using veikart::testing::write_file;

std::filesystem::path fixtures() { return source_dir() / "tests" / "fixtures" / "spreadsheet"; }

/// A small slice of the real reference data: enough networks, municipalities and themes for the fixtures.
Reference test_reference() {
  Reference r;
  r.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {"Rogaland"}});
  r.add_network({"digi-agder", "Digi Agder", {"42"}, {"Agder"}});
  r.add_network({"digi-more-og-romsdal", "Digi Møre og Romsdal", {"15"}, {}});
  r.add_network({"digi-telemark-vestfold", "Digi Telemark/Vestfold", {"39", "40"}, {"Digi TV"}});
  r.add_municipality({"1103", "Stavanger", "11"});
  r.add_municipality({"1108", "Sandnes", "11"});
  r.add_municipality({"1106", "Haugesund", "11"});
  r.add_municipality({"4204", "Kristiansand", "42"});
  r.add_municipality({"4203", "Arendal", "42"});
  r.add_municipality({"4202", "Grimstad", "42"});
  r.add_municipality({"0301", "Oslo", "03"});
  r.add_municipality({"1507", "Ålesund", "15"});
  r.add_municipality({"3905", "Tønsberg", "39"});
  r.add_theme({"e-health", "E-helse", {"Helse"}});
  r.add_theme({"information-security", "Informasjonssikkerhet og personvern", {"Informasjonssikkerhet"}});
  r.add_theme({"planning-building-geodata", "Plan, bygg og geodata", {}});
  r.add_theme({"data-insight", "Data og innsikt", {}});
  r.add_theme({"service-design", "Tjenestedesign og gevinstrealisering", {"Tjenestedesign"}});
  r.add_theme({"education", "Oppvekst og utdanning", {"Oppvekst"}});
  r.add_theme({"smart-city", "Smartby", {"Smart by"}});
  return r;
}

SourceConfig config_from(const Json& settings, const std::filesystem::path& base_dir) {
  return SourceConfig{settings.at("name").get<std::string>(), "spreadsheet", settings, base_dir};
}

Json minimal_settings(const std::string& path) {
  return Json{{"name", "test-source"},
              {"type", "spreadsheet"},
              {"path", path},
              {"id_prefix", "test"},
              {"defaults", {{"status", "idea"}}},
              {"mapping", {{"id", "ID"}, {"title", "Navn"}, {"status", "Status"}, {"networks", "Nettverk"}}}};
}

/// The batch as the golden files hold it; hashes are checked apart because they depend on every byte.
Json batch_json(const Batch& b) {
  Json out{{"fragments", Json::array()}, {"rejected", Json::array()}, {"warnings", Json::array()}};
  for (const auto& f : b.fragments) {
    out["fragments"].push_back(Json{{"id", f.id}, {"record", f.record}, {"where", f.where}, {"fields", f.fields}});
  }
  for (const auto& i : b.rejected) out["rejected"].push_back(Json{{"where", i.where}, {"reason", i.reason}});
  for (const auto& i : b.warnings) out["warnings"].push_back(Json{{"where", i.where}, {"reason", i.reason}});
  return out;
}

Expected<Batch> read_source(const SourceConfig& config, const Reference& reference,
                            std::vector<std::filesystem::path> paths = {}) {
  auto options = parse_options(config);
  if (!options) return options.error();
  SpreadsheetAdapter adapter(*options);
  PullContext ctx{reference, std::move(paths)};
  return adapter.read(ctx);
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, FixtureMapsToExpectedCanonicalJson) {
  const std::string name = GetParam();
  const Json settings = Json::parse(read_file(fixtures() / (name + ".config.json")));
  const Reference reference = test_reference();
  auto batch = read_source(config_from(settings, fixtures()), reference);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  EXPECT_TRUE(batch->snapshot);
  for (const auto& f : batch->fragments) {
    EXPECT_EQ(f.hash.size(), 64u) << f.where;
    EXPECT_EQ(f.hash.find_first_not_of("0123456789abcdef"), std::string::npos) << f.where;
    // Every fragment must be acceptable to the pipeline as it stands.
    for (const auto& issue : fragment_schema().validate(f.fields)) {
      ADD_FAILURE() << f.where << ": " << issue.where << " " << issue.reason;
    }
  }
  const Json actual = batch_json(*batch);
  const auto expected_path = fixtures() / (name + ".expected.json");
  if (std::getenv("VEIKART_UPDATE_GOLDEN") != nullptr) write_file(expected_path, actual.dump(2) + "\n");
  const Json expected = Json::parse(read_file(expected_path));
  EXPECT_EQ(actual, expected) << "actual:\n" << actual.dump(2);
}

INSTANTIATE_TEST_SUITE_P(Spreadsheet, Golden, ::testing::Values("rogaland-1252", "agder-bom"));

TEST(Spreadsheet, GoldenConfigsMatchTheSchema) {
  JsonSchema schema(embedded::source_spreadsheet_schema_json());
  for (const char* name : {"rogaland-1252", "agder-bom"}) {
    const Json settings = Json::parse(read_file(fixtures() / (std::string(name) + ".config.json")));
    for (const auto& issue : schema.validate(settings))
      ADD_FAILURE() << name << ": " << issue.where << " " << issue.reason;
  }
}

TEST(Spreadsheet, SchemaRefusesUnknownAndMistypedKeys) {
  JsonSchema schema(embedded::source_spreadsheet_schema_json());
  Json base = minimal_settings("x.csv");
  EXPECT_TRUE(schema.validate(base).empty());
  const std::vector<std::pair<std::string, Json>> broken = {
      {"/sheet", 0},
      {"/sheet", ""},
      {"/encoding", "latin1"},
      {"/delimiter", "|"},
      {"/header_row", 0},
      {"/name", "Has Spaces"},
      {"/priority_scheme", "digi-x"},
      {"/defaults/kind", "project"},
      {"/mapping/colour", "Farge"},
      {"/mapping/costs", Json::array({{{"column", "Kost"}, {"category", "lunch"}}})},
      {"/mapping/milestones", Json::array({{{"column", "Start"}}})},
  };
  for (const auto& [pointer, value] : broken) {
    Json bad = base;
    bad[Json::json_pointer(pointer)] = value;
    EXPECT_FALSE(schema.validate(bad).empty()) << pointer;
  }
  Json no_prefix = base;
  no_prefix.erase("id_prefix");
  EXPECT_FALSE(schema.validate(no_prefix).empty());
}

TEST(Spreadsheet, RegistryKnowsTheType) {
  AdapterRegistry registry;
  register_all(registry);
  const AdapterType* type = registry.find("spreadsheet");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->config_schema, embedded::source_spreadsheet_schema_json());
  auto adapter = type->make(config_from(minimal_settings("x.csv"), "/tmp"));
  EXPECT_TRUE(adapter.ok());
  Json bad = minimal_settings("x.csv");
  bad["mapping"]["priority"] = "Kategori";
  auto refused = type->make(config_from(bad, "/tmp"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("priority_scheme"), std::string::npos);
}

TEST(Spreadsheet, ParseOptionsReadsEveryKey) {
  const Json settings = Json::parse(read_file(fixtures() / "rogaland-1252.config.json"));
  auto o = parse_options(config_from(settings, "/data"));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->path, std::filesystem::path("/data/rogaland-1252.csv"));
  EXPECT_EQ(o->id_prefix, "digi-rogaland");
  EXPECT_EQ(o->priority_scheme, "rogaland-ab");
  EXPECT_EQ(o->mapping.at("title"), (std::vector<std::string>{"Prosjekt", "Tiltak", "Navn"}));
  ASSERT_EQ(o->costs.size(), 2u);
  EXPECT_EQ(o->costs[0].year_column, "Budsjettår");
  EXPECT_EQ(o->costs[0].funding, Funding::digifin);
  EXPECT_EQ(o->costs[1].year, 2026);
  EXPECT_FALSE(o->costs[1].funding.has_value());
  ASSERT_EQ(o->milestones.size(), 2u);
  EXPECT_EQ(o->milestones[1].kind, MilestoneKind::rollout_start);
  EXPECT_EQ(o->defaults.owner, (Owner{OwnerType::network, "digi-rogaland", "Digi Rogaland"}));
  EXPECT_FALSE(o->header_row.has_value());

  Json forced = settings;
  forced["encoding"] = "windows-1252";
  forced["delimiter"] = "\t";
  forced["header_row"] = 3;
  auto f = parse_options(config_from(forced, "/data"));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->encoding, CsvEncoding::windows_1252);
  EXPECT_EQ(f->delimiter, '\t');
  EXPECT_EQ(f->header_row, 3u);
}

TEST(Spreadsheet, ParseOptionsRefusesBadValuesWithoutThrowing) {
  Json settings = minimal_settings("x.csv");
  settings["mapping"]["costs"] = Json::array({{{"column", "Kost"}, {"category", "lunch"}}});
  auto o = parse_options(config_from(settings, "/tmp"));
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message.find("lunch"), std::string::npos);

  Json no_mapping = minimal_settings("x.csv");
  no_mapping.erase("mapping");
  EXPECT_FALSE(parse_options(config_from(no_mapping, "/tmp")).ok());

  Json wrong_type = minimal_settings("x.csv");
  wrong_type["mapping"]["milestones"] = Json::array({{{"column", 5}, {"kind", "start"}}});
  EXPECT_FALSE(parse_options(config_from(wrong_type, "/tmp")).ok());
}

std::vector<CsvRow> rows_of(std::string_view csv) {
  auto t = read_csv(csv);
  EXPECT_TRUE(t.ok());
  return t.ok() ? t->rows : std::vector<CsvRow>{};
}

SpreadsheetOptions options_of(const Json& settings) {
  auto o = parse_options(config_from(settings, "/tmp"));
  EXPECT_TRUE(o.ok()) << o.error().message;
  return o.ok() ? *o : SpreadsheetOptions{};
}

TEST(Spreadsheet, MissingHeaderRowFailsTheWholeRead) {
  const Reference reference = test_reference();
  auto b = map_table(rows_of("Foo;Bar\n1;2\n"), options_of(minimal_settings("x.csv")), reference);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("header"), std::string::npos);
}

TEST(Spreadsheet, ExplicitHeaderRowIsALineNumber) {
  const Reference reference = test_reference();
  Json settings = minimal_settings("x.csv");
  settings["header_row"] = 2;
  // Line 1 would win under auto (it names ID and Navn); the configured line 2 must be used instead.
  auto b = map_table(rows_of("ID;Navn\nNavn;ID;Status\nTittel;X1;Pilot\n"), options_of(settings), reference);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].id, "test:X1");
  EXPECT_EQ(b->fragments[0].fields["title"], "Tittel");
  EXPECT_EQ(b->fragments[0].where, "row 3");

  settings["header_row"] = 9;
  EXPECT_FALSE(map_table(rows_of("ID;Navn\n1;2\n"), options_of(settings), reference).ok());
}

TEST(Spreadsheet, MissingConfiguredColumnsAreWarnings) {
  const Reference reference = test_reference();
  auto b = map_table(rows_of("ID;Navn\n1;Helse\n"), options_of(minimal_settings("x.csv")), reference);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].fields["status"], "idea");  // the default fills in
  std::vector<std::string> reasons;
  for (const auto& w : b->warnings) {
    EXPECT_EQ(w.where, "row 1");
    reasons.push_back(w.reason);
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"no column 'Nettverk' for networks", "no column 'Status' for status"}));
}

TEST(Spreadsheet, NetworkNamesWithSeparatorsInsideResolveWhole) {
  const Reference reference = test_reference();
  auto b = map_table(rows_of("ID;Navn;Nettverk\n"
                             "1;A;Digi Møre og Romsdal\n"
                             "2;B;Digi Telemark/Vestfold, Digi Rogaland\n"
                             "3;C;Digi TV og Agder\n"
                             "4;D;Digi Rogaland / Digi Nowhere\n"),
                     options_of(minimal_settings("x.csv")), reference);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->fragments.size(), 3u);
  EXPECT_EQ(b->fragments[0].fields["networks"], Json::array({"digi-more-og-romsdal"}));
  EXPECT_EQ(b->fragments[1].fields["networks"], Json::array({"digi-telemark-vestfold", "digi-rogaland"}));
  EXPECT_EQ(b->fragments[2].fields["networks"], Json::array({"digi-telemark-vestfold", "digi-agder"}));
  ASSERT_EQ(b->rejected.size(), 1u);
  EXPECT_EQ(b->rejected[0], (Issue{"row 5", "column 'Nettverk': unknown network 'Digi Nowhere'", "4"}));
}

TEST(Spreadsheet, AlleNeedsNetworks) {
  const Reference reference = test_reference();
  Json settings = minimal_settings("x.csv");
  settings["mapping"]["municipalities"] = "Kommuner";
  auto b = map_table(rows_of("ID;Navn;Nettverk;Kommuner\n1;A;Agder;alle\n2;B;;Alle kommuner\n"), options_of(settings),
                     reference);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].fields["municipalities"], Json::array({"4202", "4203", "4204"}));
  ASSERT_EQ(b->rejected.size(), 1u);
  EXPECT_EQ(b->rejected[0].where, "row 3");
  EXPECT_NE(b->rejected[0].reason.find("'Alle kommuner'"), std::string::npos) << b->rejected[0].reason;
}

TEST(Spreadsheet, MunicipalityListsInEveryWriting) {
  const Reference reference = test_reference();
  Json settings = minimal_settings("x.csv");
  settings["mapping"]["municipalities"] = "Kommuner";
  auto b = map_table(rows_of("ID;Navn;Kommuner\n"
                             "1;A;1103 og 1108\n"
                             "2;B;\"Sandnes\nHaugesund\"\n"
                             "3;C;301 / 1507 Ålesund\n"
                             "4;D;1103, 9999\n"),
                     options_of(settings), reference);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->fragments.size(), 3u);
  EXPECT_EQ(b->fragments[0].fields["municipalities"], Json::array({"1103", "1108"}));
  EXPECT_EQ(b->fragments[1].fields["municipalities"], Json::array({"1106", "1108"}));
  EXPECT_EQ(b->fragments[2].fields["municipalities"], Json::array({"0301", "1507"}));
  ASSERT_EQ(b->rejected.size(), 1u);
  // The row's id cell is readable, so the pipeline can keep that record's last good version.
  EXPECT_EQ(b->rejected[0], (Issue{"row 6", "column 'Kommuner': unknown municipality '9999'", "4"}));
}

TEST(Spreadsheet, DuplicateIdsKeepTheFirstRow) {
  const Reference reference = test_reference();
  auto b = map_table(rows_of("ID;Navn\nX;Først\nX;Så\n"), options_of(minimal_settings("x.csv")), reference);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].fields["title"], "Først");
  ASSERT_EQ(b->rejected.size(), 1u);
  EXPECT_EQ(b->rejected[0], (Issue{"row 3", "duplicate id 'test:X' (first at row 2)"}));
}

TEST(Spreadsheet, HashFollowsTheRowsCells) {
  const Reference reference = test_reference();
  const auto options = options_of(minimal_settings("x.csv"));
  auto a = map_table(rows_of("ID;Navn\n1;A\n2;A\n"), options, reference);
  auto b = map_table(rows_of("ID;Navn\n1;A\n2;B\n"), options, reference);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fragments[0].hash, b->fragments[0].hash);
  EXPECT_NE(a->fragments[1].hash, b->fragments[1].hash);
}

TEST(Spreadsheet, UnknownDefaultNetworkFailsTheRead) {
  const Reference reference = test_reference();
  Json settings = minimal_settings("x.csv");
  settings["defaults"]["networks"] = Json::array({"digi-atlantis"});
  auto b = map_table(rows_of("ID;Navn\n1;A\n"), options_of(settings), reference);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("digi-atlantis"), std::string::npos);
}

TEST(Spreadsheet, MissingFileIsAnError) {
  const Reference reference = test_reference();
  TempDir dir;
  auto b = read_source(config_from(minimal_settings("nope.csv"), dir.path()), reference);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("nope.csv"), std::string::npos);
}

TEST(Spreadsheet, FolderReadsEveryCsvInNameOrder) {
  const Reference reference = test_reference();
  TempDir dir;
  write_file(dir.path() / "data" / "b.csv", "ID;Navn;Status\nB1;Bravo;Pilot\nA1;Dobbel;Pilot\n");
  write_file(dir.path() / "data" / "a.CSV", "Navn,ID,Status\nAlfa,A1,I drift\n");
  write_file(dir.path() / "data" / "notes.txt", "not a table");
  auto b = read_source(config_from(minimal_settings("data"), dir.path()), reference);
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_EQ(b->fragments.size(), 2u);
  EXPECT_EQ(b->fragments[0].id, "test:A1");
  EXPECT_EQ(b->fragments[0].where, "a.CSV row 2");
  EXPECT_EQ(b->fragments[0].fields["status"], "in_operation");
  EXPECT_EQ(b->fragments[1].where, "b.csv row 2");
  ASSERT_EQ(b->rejected.size(), 1u);
  EXPECT_EQ(b->rejected[0], (Issue{"b.csv row 3", "duplicate id 'test:A1' (first at a.CSV row 2)"}));
  // Warnings name the file too.
  ASSERT_FALSE(b->warnings.empty());
  EXPECT_EQ(b->warnings[0].where.rfind("a.CSV row 1", 0), 0u);

  TempDir empty;
  std::filesystem::create_directories(empty.path() / "data");
  EXPECT_FALSE(read_source(config_from(minimal_settings("data"), empty.path()), reference).ok());
}

TEST(Spreadsheet, PullContextPathsReplaceTheConfiguredPath) {
  const Reference reference = test_reference();
  TempDir dir;
  write_file(dir.path() / "dropped.csv", "ID;Navn\nD1;Droppet\n");
  auto b = read_source(config_from(minimal_settings("does-not-exist.csv"), dir.path()), reference,
                       {dir.path() / "dropped.csv"});
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].id, "test:D1");
  EXPECT_EQ(b->fragments[0].where, "row 2");
}

TEST(Spreadsheet, BrokenCsvIsAnErrorNamingTheFile) {
  const Reference reference = test_reference();
  TempDir dir;
  write_file(dir.path() / "broken.csv", "ID;Navn\n1;\"open\n");
  auto b = read_source(config_from(minimal_settings("broken.csv"), dir.path()), reference);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("broken.csv"), std::string::npos);
  EXPECT_NE(b.error().message.find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace veikart::adapters::spreadsheet
