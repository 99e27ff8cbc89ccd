#include <gtest/gtest.h>

#include "adapters/registry.hpp"
#include "adapters/spreadsheet/spreadsheet_adapter.hpp"
#include "adapters/spreadsheet/xlsx_reader.hpp"
#include "gateway/core/schema.hpp"
#include "test_support.hpp"
#include "veikart_embedded.hpp"
#include "workbook_test_support.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using veikart::testing::make_ods;
using veikart::testing::TempDir;
using veikart::testing::test_styles;
using veikart::testing::write_file;
using veikart::testing::XlsxBook;

Reference workbook_reference() {
  Reference r;
  r.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {"Rogaland"}});
  r.add_municipality({"1103", "Stavanger", "11"});
  r.add_municipality({"1108", "Sandnes", "11"});
  r.add_theme({"e-health", "E-helse", {"Helse"}});
  r.add_theme({"education", "Oppvekst og utdanning", {"Oppvekst"}});
  return r;
}

Json portfolio_settings(const std::string& path) {
  Json settings = Json::parse(R"({
    "name": "rogaland-arbeidsbok", "type": "spreadsheet", "id_prefix": "digi-rogaland",
    "sheet": "portefolje",
    "defaults": {"kind": "regional_project", "networks": ["digi-rogaland"]},
    "mapping": {
      "id": "ID", "title": "Prosjekt", "status": "Status", "themes": "Fagområde", "municipalities": "Kommuner",
      "milestones": [{"column": "Oppstart", "kind": "start"}, {"column": "Innføring", "kind": "rollout_start"}],
      "costs": [{"column": "Investering pr kommune", "category": "investment", "per": "municipality"}]
    }
  })");
  settings["path"] = path;
  return settings;
}

/// Reads through the registry's factory, as the gateway does.
/// With a sink, fragments stream to it instead of into the batch.
Expected<Batch> read_through_registry(const Json& settings, const std::filesystem::path& base_dir,
                                      FragmentSink* sink = nullptr) {
  AdapterRegistry registry;
  register_all(registry);
  const AdapterType* type = registry.find("spreadsheet");
  if (type == nullptr) return Error{"no spreadsheet adapter"};
  for (const auto& issue : JsonSchema(type->config_schema).validate(settings)) {
    return Error{"schema: " + issue.where + " " + issue.reason};
  }
  auto adapter = type->make(SourceConfig{settings.at("name").get<std::string>(), "spreadsheet", settings, base_dir});
  if (!adapter) return adapter.error();
  auto* blocking = dynamic_cast<BlockingSourceAdapter*>(adapter->get());
  if (blocking == nullptr) return Error{"not a blocking adapter"};
  const Reference reference = workbook_reference();
  PullContext ctx{reference, {}};
  ctx.sink = sink;
  return blocking->read(ctx);
}

/// A Mac-made workbook (1904 dates) with a cover sheet, a merged title, a merged theme column and Norwegian
/// amounts typed as text.
std::string portfolio_xlsx() {
  XlsxBook book;
  book.date1904 = true;
  book.styles = test_styles();
  book.shared_strings =
      R"(<si><t>Digi Rogaland – porteføljeoversikt 2025</t></si>)"                                    // 0
      R"(<si><t>ID</t></si><si><t>Prosjekt</t></si><si><t>Status</t></si><si><t>Fagområde</t></si>)"  // 1-4
      R"(<si><t>Oppstart</t></si><si><t>Innføring</t></si><si><t>Investering pr kommune</t></si>)"    // 5-7
      R"(<si><t>R-1</t></si><si><t>Digital hjemmeoppfølging</t></si><si><t>Pilot</t></si>)"           // 8-10
      R"(<si><t>Helse</t></si><si><t>Q3 2026</t></si><si><t>1 234 567,50</t></si>)"                   // 11-13
      R"(<si><t>R-2</t></si><si><r><t>Velferds</t></r><r><rPr><i/></rPr><t>teknologi</t></r></si>)"   // 14-15
      R"(<si><t>Under utvikling</t></si><si><t>vår 2027</t></si><si><t>kr 1.234.567</t></si>)"        // 16-18
      R"(<si><t>R-3</t></si><si><t>Dårlig dato</t></si><si><t>Idé</t></si><si><t>snart</t></si>)"     // 19-22
      R"(<si><t>Kommuner</t></si><si><t>Stavanger, Sandnes</t></si><si><t>I drift</t></si>)";         // 23-25
  auto s = [](const char* ref, int index) {
    return std::string(R"(<c r=")") + ref + R"(" t="s"><v>)" + std::to_string(index) + "</v></c>";
  };
  book.sheets.push_back({"Forside", R"(<sheetData><row r="1">)" + s("A1", 0) + "</row></sheetData>"});
  book.sheets.push_back(
      {"Portefølje",
       "<sheetData>"
       R"(<row r="1">)" +
           s("A1", 0) +
           "</row>"
           R"(<row r="3">)" +
           s("A3", 1) + s("B3", 2) + s("C3", 3) + s("D3", 4) + s("E3", 5) + s("F3", 6) + s("G3", 7) + s("H3", 23) +
           "</row>"
           R"(<row r="4">)" +
           s("A4", 8) + s("B4", 9) + s("C4", 10) + s("D4", 11) + R"(<c r="E4" s="1"><v>43921</v></c>)" + s("F4", 12) +
           s("G4", 13) + s("H4", 24) +
           "</row>"
           R"(<row r="5">)" +
           s("A5", 14) + s("B5", 15) + s("C5", 16) + R"(<c r="D5" s="1"/>)" + R"(<c r="E5" s="4"><v>43951.5</v></c>)" +
           s("F5", 17) + s("G5", 18) +
           "</row>"
           R"(<row r="6">)" +
           s("A6", 19) + s("B6", 20) + s("C6", 21) + s("E6", 22) +
           "</row>"
           R"(<row r="7"><c r="A7"><v>17</v></c><c r="B7" t="inlineStr"><is><t>Skoleplattform</t></is></c>)" +
           s("C7", 25) +
           R"(<c r="E7" s="2"><v>43830</v></c><c r="G7"><v>250000</v></c></row>)"
           "</sheetData>"
           R"(<mergeCells count="2"><mergeCell ref="A1:H1"/><mergeCell ref="D4:D5"/></mergeCells>)"});
  return book.bytes();
}

TEST(SpreadsheetWorkbook, XlsxEndToEndThroughTheRegistry) {
  TempDir dir;
  write_file(dir.path() / "portefolje.xlsx", portfolio_xlsx());
  auto batch = read_through_registry(portfolio_settings("portefolje.xlsx"), dir.path());
  ASSERT_TRUE(batch.ok()) << batch.error().message;

  Json fragments = Json::array();
  for (const auto& f : batch->fragments) {
    fragments.push_back(Json{{"id", f.id}, {"record", f.record}, {"where", f.where}, {"fields", f.fields}});
    for (const auto& issue : fragment_schema().validate(f.fields)) {
      ADD_FAILURE() << f.where << ": " << issue.where << " " << issue.reason;
    }
  }
  const Json expected = Json::parse(R"([
    {"id": "digi-rogaland:R-1", "record": "R-1", "where": "sheet Portefølje row 4",
     "fields": {"title": "Digital hjemmeoppfølging", "status": "pilot", "kind": "regional_project",
                "networks": ["digi-rogaland"], "municipalities": ["1103", "1108"], "themes": ["e-health"],
                "milestones": [
                  {"name": "Oppstart", "kind": "start", "date": "2024-04-01", "precision": "day", "label": "2024-04-01"},
                  {"name": "Innføring", "kind": "rollout_start", "date": "2026-07-01", "precision": "quarter",
                   "label": "Q3 2026"}],
                "costs": [{"year": 2026, "category": "investment", "amount_nok": 1234567.5, "per": "municipality",
                           "funding": null}]}},
    {"id": "digi-rogaland:R-2", "record": "R-2", "where": "sheet Portefølje row 5",
     "fields": {"title": "Velferdsteknologi", "status": "in_development", "kind": "regional_project",
                "networks": ["digi-rogaland"], "themes": ["e-health"],
                "milestones": [
                  {"name": "Oppstart", "kind": "start", "date": "2024-05-01", "precision": "day", "label": "2024-05-01"},
                  {"name": "Innføring", "kind": "rollout_start", "date": "2027-01-01", "precision": "half",
                   "label": "vår 2027"}],
                "costs": [{"year": 2027, "category": "investment", "amount_nok": 1234567, "per": "municipality",
                           "funding": null}]}},
    {"id": "digi-rogaland:17", "record": "17", "where": "sheet Portefølje row 7",
     "fields": {"title": "Skoleplattform", "status": "in_operation", "kind": "regional_project",
                "networks": ["digi-rogaland"],
                "milestones": [
                  {"name": "Oppstart", "kind": "start", "date": "2024-01-01", "precision": "day", "label": "2024-01-01"}],
                "costs": [{"year": 2024, "category": "investment", "amount_nok": 250000, "per": "municipality",
                           "funding": null}]}}
  ])");
  EXPECT_EQ(fragments, expected) << fragments.dump(2);

  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].where, "sheet Portefølje row 6");
  EXPECT_EQ(batch->rejected[0].reason, "column 'Oppstart' (E): cannot read date 'snart'");
  EXPECT_EQ(batch->rejected[0].record, "R-3");
  // The merged title row above the header is not data and does not warn.
  for (const auto& w : batch->warnings) EXPECT_NE(w.where, "sheet Portefølje row 1") << w.reason;
}

TEST(SpreadsheetWorkbook, StreamingToASinkGivesWhatTheBatchHolds) {
  TempDir dir;
  write_file(dir.path() / "a.xlsx", portfolio_xlsx());
  // A second file repeats R-1 (a duplicate across files) and adds one new row.
  write_file(dir.path() / "b.csv", "ID;Prosjekt;Status\nR-1;Igjen;Pilot\nR-9;Ny;Idé\n");
  const Json settings = portfolio_settings(".");
  auto batch = read_through_registry(settings, dir.path());
  ASSERT_TRUE(batch.ok()) << batch.error().message;

  std::vector<Fragment> streamed;
  FragmentSink sink = [&](Fragment&& f) { streamed.push_back(std::move(f)); };
  auto rest = read_through_registry(settings, dir.path(), &sink);
  ASSERT_TRUE(rest.ok()) << rest.error().message;

  EXPECT_TRUE(rest->fragments.empty());
  ASSERT_EQ(streamed.size(), batch->fragments.size());
  ASSERT_EQ(streamed.size(), 4u);  // R-1, R-2, 17 from the workbook, R-9 from the CSV
  for (std::size_t i = 0; i < streamed.size(); ++i) {
    EXPECT_EQ(streamed[i].id, batch->fragments[i].id);
    EXPECT_EQ(streamed[i].record, batch->fragments[i].record);
    EXPECT_EQ(streamed[i].where, batch->fragments[i].where);
    EXPECT_EQ(streamed[i].hash, batch->fragments[i].hash);
    EXPECT_EQ(streamed[i].fields, batch->fragments[i].fields);
  }
  EXPECT_EQ(streamed[3].id, "digi-rogaland:R-9");
  EXPECT_EQ(rest->rejected, batch->rejected);
  EXPECT_EQ(rest->warnings, batch->warnings);
  EXPECT_TRUE(rest->snapshot);
  // The bad date keeps its sheet, row and column; the duplicate names where the first one was.
  ASSERT_EQ(rest->rejected.size(), 2u);
  EXPECT_EQ(rest->rejected[0],
            (Issue{"a.xlsx sheet Portefølje row 6", "column 'Oppstart' (E): cannot read date 'snart'", "R-3"}));
  EXPECT_EQ(rest->rejected[1],
            (Issue{"b.csv row 2", "duplicate id 'digi-rogaland:R-1' (first at a.xlsx sheet Portefølje row 4)"}));
}

/// A sheet part of more than 4 MiB (so the adapter reads it on worker threads): `rows` portfolio rows, the one
/// on line 1000 with a date that cannot be read, then `last_row` and after the sheet data `tail`.
std::string large_portfolio_xlsx(std::size_t rows, const std::string& tail = "", const std::string& last_row = "") {
  XlsxBook book;
  book.styles = test_styles();
  std::string body = R"(<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>ID</t></is></c>)"
                     R"(<c r="B1" t="inlineStr"><is><t>Prosjekt</t></is></c>)"
                     R"(<c r="C1" t="inlineStr"><is><t>Status</t></is></c>)"
                     R"(<c r="D1" t="inlineStr"><is><t>Oppstart</t></is></c>)"
                     R"(<c r="E1" t="inlineStr"><is><t>Investering pr kommune</t></is></c>)"
                     R"(<c r="F1" t="inlineStr"><is><t>Kommuner</t></is></c></row>)";
  for (std::size_t i = 2; i < rows + 2; ++i) {
    const std::string n = std::to_string(i);
    const std::string date = i == 1000 ? R"(t="inlineStr"><is><t>snart</t></is>)" : R"(s="1"><v>45000</v>)";
    body += "<row r=\"" + n + "\"><c r=\"A" + n + "\" t=\"inlineStr\"><is><t>P-" + n + "</t></is></c><c r=\"B" + n +
            "\" t=\"inlineStr\"><is><t>Prosjekt nummer " + n + " med et langt navn for å fylle arket</t></is></c>" +
            "<c r=\"C" + n + "\" t=\"inlineStr\"><is><t>" + (i % 3 == 0 ? "Pilot" : "I drift") +
            "</t></is></c><c r=\"D" + n + "\" " + date + "</c><c r=\"E" + n + "\"><v>" + std::to_string(i * 1000) +
            ".5</v></c><c r=\"F" + n + "\" t=\"inlineStr\"><is><t>" +
            (i % 2 == 0 ? "Stavanger" : "Sandnes, Stavanger") + "</t></is></c></row>";
  }
  book.sheets.push_back({"Portefølje", body + last_row + "</sheetData>" + tail});
  return book.bytes();
}

TEST(SpreadsheetWorkbook, ALargeSheetReadOnWorkerThreadsMapsAsWhenReadWhole) {
  // With and without merged cells: the first is handed over as read, the second read whole first.
  for (const std::string& tail : {std::string(), std::string(R"(<mergeCells><mergeCell ref="F2:F3"/></mergeCells>)")}) {
    const std::string bytes = large_portfolio_xlsx(20'000, tail);
    TempDir dir;
    write_file(dir.path() / "stor.xlsx", bytes);
    Json settings = portfolio_settings("stor.xlsx");
    settings.erase("sheet");
    std::vector<Fragment> streamed;
    FragmentSink sink = [&](Fragment&& f) { streamed.push_back(std::move(f)); };
    auto got = read_through_registry(settings, dir.path(), &sink);
    ASSERT_TRUE(got.ok()) << got.error().message;

    // The same rows read whole on this thread and mapped in one go.
    auto sheet = read_xlsx(bytes);
    ASSERT_TRUE(sheet.ok()) << sheet.error().message;
    auto options = parse_options(SourceConfig{"rogaland-arbeidsbok", "spreadsheet", settings, dir.path()});
    ASSERT_TRUE(options.ok()) << options.error().message;
    auto expected = map_table(sheet->rows, *options, workbook_reference(), "sheet Portefølje", true);
    ASSERT_TRUE(expected.ok()) << expected.error().message;

    ASSERT_EQ(streamed.size(), expected->fragments.size());
    ASSERT_EQ(streamed.size(), 19'999u);
    for (std::size_t i = 0; i < streamed.size(); ++i) {
      ASSERT_EQ(streamed[i].where, expected->fragments[i].where);
      ASSERT_EQ(streamed[i].hash, expected->fragments[i].hash);
      ASSERT_EQ(streamed[i].fields, expected->fragments[i].fields) << streamed[i].where;
    }
    EXPECT_EQ(got->rejected, expected->rejected);
    ASSERT_EQ(got->rejected.size(), 1u);
    EXPECT_EQ(got->rejected[0].where, "sheet Portefølje row 1000");
    // Row 3 lists Sandnes too unless the merge copied row 2's single municipality into it.
    EXPECT_EQ(streamed[1].fields.at("municipalities"), tail.empty() ? Json({"1103", "1108"}) : Json({"1103"}));
  }
}

TEST(SpreadsheetWorkbook, AnErrorLateInALargeSheetFailsTheRead) {
  // A shared string that does not exist, after thousands of rows went to the sink: the read is an error, so
  // the pipeline rolls back what the sink stored.
  const std::string bytes =
      large_portfolio_xlsx(20'000, "", R"(<row r="30000"><c r="A30000" t="s"><v>99</v></c></row>)");
  TempDir dir;
  write_file(dir.path() / "stor.xlsx", bytes);
  Json settings = portfolio_settings("stor.xlsx");
  settings.erase("sheet");
  std::size_t streamed = 0;
  FragmentSink sink = [&](Fragment&&) { ++streamed; };
  auto got = read_through_registry(settings, dir.path(), &sink);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().message, "stor.xlsx: xl/worksheets/sheet1.xml: cell A30000: no shared string '99'");
  EXPECT_GT(streamed, 0u);
}

TEST(SpreadsheetWorkbook, CompactRowsKeepLongCellsRepeatsAndOrder) {
  SheetLimits limits;
  SheetBuilder builder(limits);
  const std::string long_cell(300, 'x');  // a length that needs two bytes to encode
  ASSERT_TRUE(builder.set(2, 1, "to"));
  ASSERT_TRUE(builder.set(2, 3, long_cell));
  ASSERT_TRUE(builder.repeat_row(2, 2));   // rows 3 and 4 copy row 2
  ASSERT_TRUE(builder.set(1, 2, "en"));    // out of order: sorted in finish
  ASSERT_TRUE(builder.set(4, 2, "fire"));  // continues a repeated row
  ASSERT_TRUE(builder.add_merge(1, 2, 1, 3));
  auto rows = builder.finish_rows();
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const std::vector<CsvRow> expected = {CsvRow{1, {"", "en", "en"}}, CsvRow{2, {"to", "", long_cell}},
                                        CsvRow{3, {"to", "", long_cell}}, CsvRow{4, {"to", "fire", long_cell}}};
  EXPECT_EQ(rows->to_vector(), expected);
  CsvRow reused{0, {"stale", "stale", "stale", "stale", "stale"}};
  rows->read(0, reused);
  EXPECT_EQ(reused, expected[0]);
}

TEST(SpreadsheetWorkbook, SheetByIndexAndUnknownSheet) {
  TempDir dir;
  write_file(dir.path() / "portefolje.xlsx", portfolio_xlsx());
  Json settings = portfolio_settings("portefolje.xlsx");
  settings["sheet"] = 2;
  auto by_index = read_through_registry(settings, dir.path());
  ASSERT_TRUE(by_index.ok()) << by_index.error().message;
  EXPECT_EQ(by_index->fragments.size(), 3u);

  settings["sheet"] = 1;  // the cover sheet has no header row
  auto cover = read_through_registry(settings, dir.path());
  ASSERT_FALSE(cover.ok());
  EXPECT_EQ(cover.error().message.rfind("portefolje.xlsx: sheet Forside no header row", 0), 0u)
      << cover.error().message;

  settings["sheet"] = "Budsjett";
  auto unknown = read_through_registry(settings, dir.path());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "portefolje.xlsx: no sheet 'Budsjett' (the workbook has 'Forside', 'Portefølje')");

  settings["sheet"] = 0;
  EXPECT_FALSE(read_through_registry(settings, dir.path()).ok());
}

TEST(SpreadsheetWorkbook, FolderReadsCsvXlsxAndOdsInNameOrder) {
  TempDir dir;
  write_file(dir.path() / "data" / "c.csv", "ID;Prosjekt;Status\nC1;Charlie;Pilot\n");
  write_file(dir.path() / "data" / "a.XLSX", portfolio_xlsx());
  const std::string ods_rows =
      R"(<table:table table:name="Portefølje"><table:table-row>)"
      R"(<table:table-cell><text:p>ID</text:p></table:table-cell><table:table-cell><text:p>Prosjekt</text:p></table:table-cell>)"
      R"(<table:table-cell><text:p>Status</text:p></table:table-cell><table:table-cell><text:p>Oppstart</text:p></table:table-cell></table:table-row>)"
      R"(<table:table-row><table:table-cell><text:p>B1</text:p></table:table-cell><table:table-cell><text:p>Bravo</text:p></table:table-cell>)"
      R"(<table:table-cell><text:p>Idé</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="date" office:date-value="2025-09-01"><text:p>01.09.25</text:p></table:table-cell></table:table-row>)"
      R"(<table:table-row><table:table-cell><text:p>B2</text:p></table:table-cell><table:table-cell><text:p>Bad</text:p></table:table-cell>)"
      R"(<table:table-cell><text:p>Idé</text:p></table:table-cell><table:table-cell><text:p>aldri</text:p></table:table-cell></table:table-row>)"
      R"(<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>)"
      R"(</table:table>)";
  write_file(dir.path() / "data" / "b.ods", make_ods(ods_rows));
  write_file(dir.path() / "data" / "notes.txt", "not a table");
  auto batch = read_through_registry(portfolio_settings("data"), dir.path());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->fragments.size(), 5u);
  EXPECT_EQ(batch->fragments[0].where, "a.XLSX sheet Portefølje row 4");
  EXPECT_EQ(batch->fragments[3].where, "b.ods sheet Portefølje row 2");
  EXPECT_EQ(batch->fragments[3].fields["milestones"][0]["date"], "2025-09-01");
  EXPECT_EQ(batch->fragments[4].where, "c.csv row 2");  // CSV messages as before
  bool saw_ods_rejection = false;
  for (const auto& r : batch->rejected) {
    if (r.where == "b.ods sheet Portefølje row 3") {
      saw_ods_rejection = true;
      EXPECT_EQ(r.reason, "column 'Oppstart' (D): cannot read date 'aldri'");
    }
  }
  EXPECT_TRUE(saw_ods_rejection);
}

TEST(SpreadsheetWorkbook, BrokenWorkbookIsAnErrorNamingTheFile) {
  TempDir dir;
  write_file(dir.path() / "broken.xlsx", "ID;Prosjekt\n1;Alfa\n");
  auto batch = read_through_registry(portfolio_settings("broken.xlsx"), dir.path());
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().message, "broken.xlsx: not a zip archive (XLSX and ODS files are zip archives)");
}

TEST(SpreadsheetWorkbook, CsvWithExcelSerialDates) {
  TempDir dir;
  write_file(dir.path() / "eksport.csv", "ID;Prosjekt;Status;Oppstart\nS1;Serie;Pilot;45383\n");
  auto batch = read_through_registry(portfolio_settings("eksport.csv"), dir.path());
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->fragments.size(), 1u);
  EXPECT_EQ(
      batch->fragments[0].fields["milestones"][0],
      (Json{
          {"name", "Oppstart"}, {"kind", "start"}, {"date", "2024-04-01"}, {"precision", "day"}, {"label", "45383"}}));
}

TEST(SpreadsheetWorkbook, ParseOptionsReadsTheSheetKey) {
  Json settings = portfolio_settings("x.xlsx");
  auto by_name = parse_options(SourceConfig{"s", "spreadsheet", settings, "/data"});
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->sheet.name, "portefolje");
  EXPECT_FALSE(by_name->sheet.index.has_value());
  settings["sheet"] = 3;
  auto by_index = parse_options(SourceConfig{"s", "spreadsheet", settings, "/data"});
  ASSERT_TRUE(by_index.ok());
  EXPECT_EQ(by_index->sheet.index, 3u);
  settings["sheet"] = true;
  auto bad = parse_options(SourceConfig{"s", "spreadsheet", settings, "/data"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("sheet must be"), std::string::npos);
}

}  // namespace
}  // namespace veikart::adapters::spreadsheet
