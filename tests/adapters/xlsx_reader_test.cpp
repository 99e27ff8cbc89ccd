#include <gtest/gtest.h>

#include <charconv>

#include "adapters/common/zip_archive.hpp"
#include "adapters/spreadsheet/xlsx_reader.hpp"
#include "workbook_test_support.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using veikart::testing::make_xlsx;
using veikart::testing::test_styles;
using veikart::testing::XlsxBook;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string shared(std::initializer_list<const char*> texts) {
  std::string s;
  for (const char* t : texts) s += std::string("<si><t xml:space=\"preserve\">") + t + "</t></si>";
  return s;
}

/// The cell at a 1-based row number and 0-based column, or "<none>".
std::string at(const Sheet& sheet, std::size_t line, std::size_t column) {
  for (const auto& r : sheet.rows) {
    if (r.line == line) return column < r.cells.size() ? r.cells[column] : "<none>";
  }
  return "<none>";
}

TEST(Xlsx, ReadsEveryCellType) {
  XlsxBook book;
  book.shared_strings = shared({"ID", "Prosjekt"}) +
                        // rich text: runs are joined, phonetic guides are not part of the text
                        R"(<si><r><rPr><b/></rPr><t>Digi</t></r><r><t xml:space="preserve"> Helse</t></r>)"
                        R"(<rPh sb="0" eb="1"><t>ﾃﾞｼﾞ</t></rPh></si>)"
                        R"(<si><t>Linje 1_x000A_Linje 2</t></si>)";
  book.sheets.push_back(
      {"Ark1", R"(<sheetData>)"
               R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>)"
               R"(<row r="3"><c r="A3"><v>12</v></c><c r="B3"><v>1234567.5</v></c><c r="C3"><v>1.5E-3</v></c>)"
               R"(<c r="D3"><v>0.30000000000000004</v></c><c r="E3" t="b"><v>1</v></c><c r="F3" t="b"><v>0</v></c>)"
               R"(<c r="G3" t="e"><v>#N/A</v></c><c r="H3" t="str"><f>A3&amp;" stk"</f><v>12 stk</v></c>)"
               R"(<c r="I3" t="inlineStr"><is><t xml:space="preserve"> inline </t></is></c>)"
               R"(<c r="J3"><v>-0</v></c><c r="K3"><v>1E+20</v></c><c r="L3" t="n"><v>-42.10</v></c></row>)"
               R"(<row r="5"><c t="s"><v>2</v></c><c><v>7</v></c><c r="E5" t="s"><v>3</v></c></row>)"
               R"(<row r="6"><c r="A6" s="0"/><c r="B6"><v></v></c></row>)"
               R"(</sheetData>)"});
  auto sheet = read_xlsx(book.bytes());
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  EXPECT_EQ(sheet->name, "Ark1");
  EXPECT_EQ(sheet->index, 1u);
  ASSERT_EQ(sheet->rows.size(), 3u);  // rows 2 and 4 do not exist, row 6 holds nothing
  EXPECT_EQ(sheet->rows[0], (CsvRow{1, {"ID", "", "Prosjekt"}}));
  EXPECT_EQ(sheet->rows[1], (CsvRow{3,
                                    {"12", "1234567.5", "0.0015", "0.3", "true", "false", "#N/A", "12 stk", " inline ",
                                     "0", "100000000000000000000", "-42.1"}}));
  EXPECT_EQ(sheet->rows[2], (CsvRow{5, {"Digi Helse", "7", "", "", "Linje 1\nLinje 2"}}));
}

TEST(Xlsx, NumberTextCopiedOnlyWhenPrintingWouldGiveTheSame) {
  // format_number(text, value) copies text that is already in the printed form; everything else is printed.
  for (const char* text : {"0",
                           "7",
                           "12",
                           "-42",
                           "4866727.21",
                           "0.5",
                           "-0.25",
                           "123456789012345",
                           "0.00000000000001",
                           "-0",
                           "0.30000000000000004",
                           "1234567890123456",
                           "-42.10",
                           "007",
                           "1.50",
                           "1E+20",
                           "1.5E-3",
                           "+5",
                           "5.",
                           ".5",
                           "0.0",
                           "-0.0",
                           "99999999999999.9",
                           "999999999999999.9"}) {
    double value = 0;
    std::string_view v = text;
    if (v.front() == '+') v.remove_prefix(1);  // from_chars takes no plus sign; the readers never see one
    std::from_chars(v.data(), v.data() + v.size(), value);
    std::string printed, copied;
    format_number(value, printed);
    format_number(text, value, copied);
    EXPECT_EQ(copied, printed) << text;
  }
  std::string out;
  format_number("4866727.21", 4866727.21, out);
  EXPECT_EQ(out, "4866727.21");
  format_number("1.50", 1.5, out);
  EXPECT_EQ(out, "1.5");
}

TEST(Xlsx, StyledNumbersAreDatesInThe1900System) {
  XlsxBook book;
  book.styles = test_styles();
  book.sheets.push_back({"Datoer", R"(<sheetData><row r="1">)"
                                   R"(<c r="A1" s="1"><v>45383</v></c><c r="B1" s="2"><v>45383</v></c>)"
                                   R"(<c r="C1" s="3"><v>45383</v></c><c r="D1" s="4"><v>45383.75</v></c>)"
                                   R"(<c r="E1" s="5"><v>1.5</v></c><c r="F1" s="0"><v>45383</v></c>)"
                                   R"(<c r="G1" s="6"><v>45383</v></c><c r="H1" s="99"><v>45383</v></c>)"
                                   R"(<c r="I1" s="4"><v>45383.999999999</v></c><c r="J1" s="1"><v>0.5</v></c>)"
                                   R"(<c r="K1" t="d"><v>2025-03-01T10:00:00</v></c>)"
                                   R"(</row></sheetData>)"});
  auto sheet = read_xlsx(book.bytes());
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  ASSERT_EQ(sheet->rows.size(), 1u);
  EXPECT_EQ(sheet->rows[0].cells,
            (std::vector<std::string>{"2024-04-01", "2024-04-01", "45383", "2024-04-01", "1.5", "45383", "45383",
                                      "45383", "2024-04-02", "0.5", "2025-03-01"}));
}

TEST(Xlsx, StyledNumbersAreDatesInThe1904System) {
  XlsxBook book;
  book.date1904 = true;
  book.styles = test_styles();
  book.sheets.push_back({"Mac",
                         R"(<sheetData><row r="1"><c r="A1" s="1"><v>43921</v></c><c r="B1" s="4"><v>43951.5</v></c>)"
                         R"(<c r="C1" s="1"><v>0</v></c><c r="D1"><v>43921</v></c></row></sheetData>)"});
  auto sheet = read_xlsx(book.bytes());
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  EXPECT_EQ(sheet->rows[0].cells, (std::vector<std::string>{"2024-04-01", "2024-05-01", "1904-01-01", "43921"}));
}

TEST(Xlsx, DateFormatCodes) {
  for (const char* code : {"dd.mm.yyyy", "d/m/yy", "yyyy-mm-dd hh:mm", "[$-414]mmmm yyyy;@", "mmm-yy", "h:mm AM/PM",
                           "[Red]dd.mm.yyyy", "DD.MM.YYYY"}) {
    EXPECT_TRUE(is_date_format(code)) << code;
  }
  for (const char* code : {"General", "0.00", "#,##0\\ \"kr\"", "[h]:mm:ss", "[mm]:ss", "0 \"mnd\"", "0.00\\ \\m",
                           "_(* #,##0_)", "#,##0;[Red]-#,##0", "@", ""}) {
    EXPECT_FALSE(is_date_format(code)) << code;
  }
}

TEST(Xlsx, MergedCellsRepeatTheirTopLeftValue) {
  XlsxBook book;
  book.shared_strings = shared({"Portefølje 2025", "ID", "Kategori", "Prosjekt", "A", "Alfa", "Bravo", "B"});
  book.sheets.push_back(
      {"Ark1",
       R"(<sheetData>)"
       R"(<row r="1"><c r="A1" t="s"><v>0</v></c></row>)"
       R"(<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c><c r="C3" t="s"><v>3</v></c></row>)"
       R"(<row r="4"><c r="A4"><v>1</v></c><c r="B4" t="s"><v>4</v></c><c r="C4" t="s"><v>5</v></c></row>)"
       R"(<row r="5"><c r="A5"><v>2</v></c><c r="B5"/><c r="C5" t="s"><v>6</v></c></row>)"
       R"(<row r="7"><c r="B7" t="s"><v>7</v></c></row>)"
       R"(</sheetData>)"
       R"(<mergeCells count="3"><mergeCell ref="A1:XFD1"/><mergeCell ref="B4:B5"/>)"
       R"(<mergeCell ref="B7:B9"/></mergeCells>)"});
  auto sheet = read_xlsx(book.bytes());
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  // The title fills the columns the sheet uses, not sixteen thousand.
  EXPECT_EQ(sheet->rows[0], (CsvRow{1, {"Portefølje 2025", "Portefølje 2025", "Portefølje 2025"}}));
  EXPECT_EQ(at(*sheet, 5, 1), "A");
  EXPECT_EQ(at(*sheet, 5, 2), "Bravo");
  // A merge over rows that hold nothing adds no rows.
  EXPECT_EQ(sheet->rows.back().line, 7u);
  EXPECT_EQ(sheet->rows.size(), 5u);
}

TEST(Xlsx, ChoosesSheetsByNameAndPosition) {
  XlsxBook book;
  book.sheets.push_back(
      {"Forside", R"(<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>forside</t></is></c></row></sheetData>)"});
  book.sheets.push_back(
      {"Portefølje 2025",
       R"(<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>portefølje</t></is></c></row></sheetData>)",
       "data/portefolje.xml"});
  book.sheets.push_back({"Arkiv",
                         R"(<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>arkiv</t></is></c></row></sheetData>)",
                         "/xl/worksheets/old.xml"});  // a package-absolute target
  const std::string bytes = book.bytes();
  EXPECT_EQ(at(*read_xlsx(bytes), 1, 0), "forside");
  auto by_name = read_xlsx(bytes, SheetChoice{"PORTEFOLJE 2025", std::nullopt});
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->name, "Portefølje 2025");
  EXPECT_EQ(by_name->index, 2u);
  EXPECT_EQ(at(*by_name, 1, 0), "portefølje");
  auto by_index = read_xlsx(bytes, SheetChoice{std::nullopt, 3});
  ASSERT_TRUE(by_index.ok()) << by_index.error().message;
  EXPECT_EQ(by_index->name, "Arkiv");
  EXPECT_EQ(at(*by_index, 1, 0), "arkiv");
  EXPECT_EQ(by_index->all_names, (std::vector<std::string>{"Forside", "Portefølje 2025", "Arkiv"}));

  auto no_name = read_xlsx(bytes, SheetChoice{"Budsjett", std::nullopt});
  ASSERT_FALSE(no_name.ok());
  EXPECT_EQ(no_name.error().message, "no sheet 'Budsjett' (the workbook has 'Forside', 'Portefølje 2025', 'Arkiv')");
  auto no_index = read_xlsx(bytes, SheetChoice{std::nullopt, 4});
  ASSERT_FALSE(no_index.ok());
  EXPECT_TRUE(contains(no_index.error().message, "no sheet number 4 (the workbook has 3:")) << no_index.error().message;
}

TEST(Xlsx, HeaderAfterTitleRowsAndNorwegianNumbersStayText) {
  XlsxBook book;
  book.shared_strings =
      shared({"Digi Rogaland", "Oversikt per 1. mars", "ID", "Investering", "1 234 567,50", "kr 1.234.567"});
  book.sheets.push_back({"Ark1", R"(<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>)"
                                 R"(<row r="2"><c r="A2" t="s"><v>1</v></c></row>)"
                                 R"(<row r="4"><c r="B4" t="s"><v>2</v></c><c r="C4" t="s"><v>3</v></c></row>)"
                                 R"(<row r="5"><c r="B5"><v>1</v></c><c r="C5" t="s"><v>4</v></c></row>)"
                                 R"(<row r="6"><c r="B6"><v>2</v></c><c r="C6" t="s"><v>5</v></c></row></sheetData>)"});
  auto sheet = read_xlsx(book.bytes());
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  ASSERT_EQ(sheet->rows.size(), 5u);
  EXPECT_EQ(sheet->rows[2], (CsvRow{4, {"", "ID", "Investering"}}));
  EXPECT_EQ(at(*sheet, 5, 2), "1 234 567,50");
  EXPECT_EQ(at(*sheet, 6, 2), "kr 1.234.567");
}

TEST(Xlsx, RefusesWhatIsNotAWorkbook) {
  auto text = read_xlsx("ID;Navn\n1;Alfa\n");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().message, "not a zip archive (XLSX and ODS files are zip archives)");

  auto no_workbook = read_xlsx(make_xlsx({{"[Content_Types].xml", "<Types/>"}, {"xl/worksheets/sheet1.xml", "<x/>"}}));
  ASSERT_FALSE(no_workbook.ok());
  EXPECT_EQ(no_workbook.error().message, "not an XLSX workbook: xl/workbook.xml is missing");

  XlsxBook no_sheets;
  auto empty = read_xlsx(no_sheets.bytes());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message, "the workbook has no sheets");
}

TEST(Xlsx, BrokenPartsAreErrorsNamingThePart) {
  XlsxBook book;
  book.sheets.push_back({"Ark1", R"(<sheetData><row r="1"><c r="A1"><v>1</v></row></sheetData>)"});
  auto malformed = read_xlsx(book.bytes());
  ASSERT_FALSE(malformed.ok());
  EXPECT_TRUE(contains(malformed.error().message, "xl/worksheets/sheet1.xml: XML error at line 1"))
      << malformed.error().message;

  XlsxBook bad_index;
  bad_index.shared_strings = shared({"a"});
  bad_index.sheets.push_back({"Ark1", R"(<sheetData><row r="2"><c r="C2" t="s"><v>7</v></c></row></sheetData>)"});
  auto index = read_xlsx(bad_index.bytes());
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().message, "xl/worksheets/sheet1.xml: cell C2: no shared string '7'");

  XlsxBook bad_ref;
  bad_ref.sheets.push_back({"Ark1", R"(<sheetData><row r="2"><c r="2C"><v>1</v></c></row></sheetData>)"});
  EXPECT_FALSE(read_xlsx(bad_ref.bytes()).ok());

  XlsxBook missing_sheet;
  missing_sheet.sheets.push_back({"Ark1", "<sheetData/>"});
  auto parts = missing_sheet.parts();
  std::erase_if(parts, [](const auto& p) { return p.first == "xl/worksheets/sheet1.xml"; });
  auto missing = read_xlsx(make_xlsx(parts));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "sheet 'Ark1': xl/worksheets/sheet1.xml is missing");
}

TEST(Xlsx, RefusesEntityExpansionInSharedStrings) {
  XlsxBook book;
  book.sheets.push_back({"Ark1", R"(<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>)"});
  auto parts = book.parts();
  const std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "hahahahahahahahahaha">)"
      R"(<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">)"
      R"(<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">)"
      R"(<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">)"
      R"(<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">)"
      R"(]><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&i;</t></si></sst>)";
  const std::string external =
      R"(<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>)"
      R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&x;</t></si></sst>)";
  for (const std::string& evil : {laughs, external}) {
    auto with = parts;
    with.emplace_back("xl/sharedStrings.xml", evil);
    auto sheet = read_xlsx(make_xlsx(with));
    ASSERT_FALSE(sheet.ok());
    EXPECT_EQ(sheet.error().message,
              "xl/sharedStrings.xml: a DOCTYPE is not allowed (entity declarations are refused)");
  }
}

TEST(Xlsx, ArchiveDefencesApply) {
  XlsxBook book;
  book.sheets.push_back({"Ark1", "<sheetData>" + std::string(8u << 20, ' ') + "</sheetData>"});
  auto bomb = read_xlsx(book.bytes());
  ASSERT_FALSE(bomb.ok());
  EXPECT_TRUE(contains(bomb.error().message, "decompression bomb")) << bomb.error().message;

  XlsxBook fine;
  fine.sheets.push_back({"Ark1", R"(<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>)"});
  auto parts = fine.parts();
  parts.emplace_back("../../evil.sh", "rm -rf /");
  auto unsafe = read_xlsx(make_xlsx(parts));
  ASSERT_FALSE(unsafe.ok());
  EXPECT_EQ(unsafe.error().message, "zip entry '../../evil.sh' has an unsafe path");

  SheetLimits small;
  small.zip.max_entries = 4;
  auto many = read_xlsx(fine.bytes(), {}, small);
  ASSERT_FALSE(many.ok());
  EXPECT_TRUE(contains(many.error().message, "more than the limit of 4")) << many.error().message;
}

TEST(Xlsx, OutputLimitsHoldAgainstCheapInput) {
  // One shared string referenced many times: small input, large output.
  XlsxBook book;
  book.shared_strings = "<si><t>" + std::string(1000, 'x') + "</t></si>";
  std::string rows = "<sheetData>";
  for (int r = 1; r <= 200; ++r) {
    rows += "<row r=\"" + std::to_string(r) + "\">";
    for (int c = 0; c < 10; ++c) rows += R"(<c t="s"><v>0</v></c>)";
    rows += "</row>";
  }
  book.sheets.push_back({"Ark1", rows + "</sheetData>"});
  SheetLimits limits;
  limits.max_text_bytes = 1u << 20;
  auto sheet = read_xlsx(book.bytes(), {}, limits);
  ASSERT_FALSE(sheet.ok());
  EXPECT_TRUE(contains(sheet.error().message, "more than 1 MiB of text")) << sheet.error().message;
  EXPECT_TRUE(read_xlsx(book.bytes()).ok());

  XlsxBook far;
  far.sheets.push_back({"Ark1", R"(<sheetData><row r="1048577"><c r="A1048577"><v>1</v></c></row></sheetData>)"});
  auto outside = read_xlsx(far.bytes());
  ASSERT_FALSE(outside.ok());
  EXPECT_TRUE(contains(outside.error().message, "outside the sheet")) << outside.error().message;
}

// ---- XlsxRowReader: rows handed out while a worker thread reads the sheet ----

/// `count` data rows under a header: ID, an inline text, a number and a shared string, in order.
std::string many_rows(std::size_t count, std::size_t first_line = 2) {
  std::string rows = R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>)";
  for (std::size_t i = 0; i < count; ++i) {
    const std::string n = std::to_string(first_line + i);
    rows += "<row r=\"" + n + "\"><c r=\"A" + n + "\" t=\"inlineStr\"><is><t>P-" + n + "</t></is></c><c r=\"B" + n +
            "\"><v>" + std::to_string(i * 3) + ".5</v></c><c r=\"C" + n + "\" t=\"s\"><v>" + std::to_string(i % 2) +
            "</v></c></row>";
  }
  return rows;
}

struct ReadRows {
  std::vector<CsvRow> rows;
  std::optional<Error> error;
  XlsxRowReader::Mode mode = XlsxRowReader::Mode::whole;
};

/// Reads every row with worker threads (threads_from_bytes 0) unless a threshold is given.
ReadRows read_all(const std::string& bytes, std::uint64_t threads_from_bytes = 0) {
  ReadRows out;
  auto reader = XlsxRowReader::open(bytes, {}, {}, threads_from_bytes);
  if (!reader) {
    out.error = reader.error();
    return out;
  }
  while (const CsvRow* row = (*reader)->next()) out.rows.push_back(*row);
  out.error = (*reader)->error();
  out.mode = (*reader)->mode();
  return out;
}

XlsxBook book_with(std::string body) {
  XlsxBook book;
  book.shared_strings = shared({"ID", "Navn"});
  book.sheets.push_back({"Ark1", std::move(body)});
  return book;
}

TEST(XlsxRowReader, StreamsALargeSheetInOrderWithTheSameRows) {
  // 5,000 rows are several blocks, more than the reader keeps in flight, so the worker waits for the caller.
  const std::string bytes = book_with("<sheetData>" + many_rows(5000) + "</sheetData>").bytes();
  const ReadRows got = read_all(bytes);
  ASSERT_FALSE(got.error) << got.error->message;
  EXPECT_EQ(got.mode, XlsxRowReader::Mode::streamed);
  auto whole = read_xlsx(bytes);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  ASSERT_EQ(got.rows.size(), 5001u);
  EXPECT_EQ(got.rows, whole->rows);
  EXPECT_EQ(got.rows[4000], (CsvRow{4001, {"P-4001", "11997.5", "Navn"}}));
}

TEST(XlsxRowReader, SmallSheetsAreReadOnTheCallingThread) {
  const std::string bytes = book_with("<sheetData>" + many_rows(10) + "</sheetData>").bytes();
  const ReadRows got = read_all(bytes, XlsxRowReader::default_threads_from_bytes);
  ASSERT_FALSE(got.error) << got.error->message;
  EXPECT_EQ(got.mode, XlsxRowReader::Mode::whole);
  EXPECT_EQ(got.rows.size(), 11u);
}

TEST(XlsxRowReader, MergesAfterTheRowsMakeItReadTheWholeSheetFirst) {
  for (const std::string prefix : {"", "x:"}) {
    const std::string ns = prefix.empty() ? "" : std::string(" xmlns:x=\"") + veikart::testing::kSpreadsheetMl + "\"";
    // The merge fills B3 (empty) from B2, which a streamed read would already have handed out.
    const std::string body = "<" + prefix + "sheetData" + ns + ">" + many_rows(3000) + "</" + prefix + "sheetData>" +
                             "<" + prefix + "mergeCells" + ns + " count=\"1\"><" + prefix +
                             "mergeCell ref=\"C2:C3\"/></" + prefix + "mergeCells>";
    const std::string bytes = book_with(body).bytes();
    const ReadRows got = read_all(bytes);
    ASSERT_FALSE(got.error) << got.error->message;
    EXPECT_EQ(got.mode, XlsxRowReader::Mode::whole_on_worker) << prefix;
    auto whole = read_xlsx(bytes);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    EXPECT_EQ(got.rows, whole->rows) << prefix;
    ASSERT_GT(got.rows.size(), 3u);
    EXPECT_EQ(got.rows[2].cells[2], "ID") << "the merge filled row 3 from row 2 (" << prefix << ")";
  }
}

TEST(XlsxRowReader, RowsOutOfOrderMakeItReadTheWholeSheetFirst) {
  // A row continued after others, a cell whose reference goes back up, and a row element without a number.
  const std::vector<std::string> tails = {
      R"(<row r="5"><c r="D5" t="inlineStr"><is><t>later</t></is></c></row>)",
      R"(<row r="9000"><c r="A7" t="inlineStr"><is><t>up</t></is></c></row>)",
  };
  for (const auto& tail : tails) {
    const std::string bytes = book_with("<sheetData>" + many_rows(3000) + tail + "</sheetData>").bytes();
    const ReadRows got = read_all(bytes);
    ASSERT_FALSE(got.error) << got.error->message;
    EXPECT_EQ(got.mode, XlsxRowReader::Mode::whole_on_worker) << tail;
    auto whole = read_xlsx(bytes);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    EXPECT_EQ(got.rows, whole->rows) << tail;
  }
  // Rows without numbers follow the one before: still in order, still streamed.
  const std::string numbered_by_position =
      "<sheetData>" + many_rows(3000) + R"(<row><c><v>1</v></c></row><row><c><v>2</v></c></row>)" + "</sheetData>";
  const ReadRows in_order = read_all(book_with(numbered_by_position).bytes());
  ASSERT_FALSE(in_order.error) << in_order.error->message;
  EXPECT_EQ(in_order.mode, XlsxRowReader::Mode::streamed);
  ASSERT_EQ(in_order.rows.size(), 3003u);
  EXPECT_EQ(in_order.rows.back(), (CsvRow{3003, {"2"}}));
}

TEST(XlsxRowReader, TagsCutBetweenTheScansPiecesAreReadWhole) {
  // The scan reads the part in pieces of 256 KiB. Rows of one length, behind padding of every length up to
  // theirs, put that cut through every byte of the row it falls in; their attribute values hold '>' too. In
  // order, the sheet streams; when the row cut is one going back up, the sheet is read whole.
  const auto row = [](int n, const std::string& column) {
    const std::string r = std::to_string(n);
    return "<row r=\"" + r + "\"><c x=\"a>b\" r=\"" + column + r + "\" t=\"inlineStr\"><is><t>P</t></is></c></row>";
  };
  const std::size_t row_bytes = row(10001, "A").size();
  const auto sheet = [&](std::size_t pad, std::size_t up_row) {
    std::string body = "<sheetData><!--" + std::string(pad, 'x') + "-->";
    for (std::size_t i = 0; i < 4000; ++i)
      body += i == up_row ? row(10002, "B") : row(10001 + static_cast<int>(i), "A");
    return book_with(body + "</sheetData>").bytes();
  };
  // Where the rows start in the part, to know which row the cut falls in.
  const std::string probe = sheet(0, 4000);  // the archive reads from these bytes while it lives
  auto zip = ZipArchive::open(probe);
  ASSERT_TRUE(zip.ok()) << zip.error().message;
  auto part = zip->read("xl/worksheets/sheet1.xml");
  ASSERT_TRUE(part.ok()) << part.error().message;
  const std::size_t rows_at = part->find("-->") + 3;
  constexpr std::size_t cut = std::size_t{256} << 10;
  for (std::size_t pad = 0; pad < row_bytes; ++pad) {
    const bool back_up = pad % 2 == 0;
    const std::size_t cut_row = (cut - rows_at - pad) / row_bytes;
    const std::string bytes = sheet(pad, back_up ? cut_row : 4000);
    const ReadRows got = read_all(bytes);
    ASSERT_FALSE(got.error) << got.error->message;
    EXPECT_EQ(got.mode, back_up ? XlsxRowReader::Mode::whole_on_worker : XlsxRowReader::Mode::streamed) << pad;
    auto whole = read_xlsx(bytes);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    EXPECT_EQ(got.rows, whole->rows) << pad;
  }
}

TEST(XlsxRowReader, AnErrorLateInTheSheetEndsTheRowsWithTheError) {
  // Shared string 7 does not exist; it sits in row 2,900, after blocks of rows were handed out.
  std::string rows = many_rows(3000);
  const std::string bad = R"(<row r="2900"><c r="A2900" t="s"><v>7</v></c>)";
  const auto at_row = rows.find(R"(<row r="2900">)");
  ASSERT_NE(at_row, std::string::npos);
  rows.replace(at_row, rows.find("</row>", at_row) - at_row, bad);
  const ReadRows got = read_all(book_with("<sheetData>" + rows + "</sheetData>").bytes());
  ASSERT_TRUE(got.error);
  EXPECT_TRUE(contains(got.error->message, "cell A2900: no shared string '7'")) << got.error->message;
  EXPECT_LT(got.rows.size(), 2900u);
  // Malformed XML late in the part, too.
  const ReadRows broken = read_all(book_with("<sheetData>" + many_rows(3000) + "<row r=\"9999\"><c>").bytes());
  ASSERT_TRUE(broken.error);
  EXPECT_TRUE(contains(broken.error->message, "xl/worksheets/sheet1.xml")) << broken.error->message;
}

TEST(XlsxRowReader, ACallerMayStopEarly) {
  const std::string bytes = book_with("<sheetData>" + many_rows(20000) + "</sheetData>").bytes();
  std::vector<CsvRow> first;
  {
    auto reader = XlsxRowReader::open(bytes, {}, {}, 0);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    for (int i = 0; i < 10; ++i) {
      const CsvRow* row = (*reader)->next();
      ASSERT_NE(row, nullptr);
      first.push_back(*row);
    }
  }  // the workers stop with the reader
  EXPECT_EQ(first[9], (CsvRow{10, {"P-10", "24.5", "ID"}}));
}

TEST(XlsxRowReader, APartInAnotherEncodingIsReadWhole) {
  // UTF-16 markup is not for a byte scan; the part is read whole, with the same rows.
  std::string body = "<sheetData>" + many_rows(50) + "</sheetData>";
  std::string xml = std::string(R"(<?xml version="1.0" encoding="UTF-16"?><worksheet xmlns=")") +
                    veikart::testing::kSpreadsheetMl + R"(">)" + body + "</worksheet>";
  std::string utf16 = "\xFF\xFE";
  for (char c : xml) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  XlsxBook book = book_with("<sheetData/>");
  auto parts = book.parts();
  for (auto& [name, data] : parts) {
    if (name == "xl/worksheets/sheet1.xml") data = utf16;
  }
  const std::string bytes = make_xlsx(parts);
  const ReadRows got = read_all(bytes);
  ASSERT_FALSE(got.error) << got.error->message;
  EXPECT_EQ(got.mode, XlsxRowReader::Mode::whole_on_worker);
  EXPECT_EQ(got.rows.size(), 51u);
}

}  // namespace
}  // namespace veikart::adapters::spreadsheet
