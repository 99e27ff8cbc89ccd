#include <gtest/gtest.h>

#include "adapters/spreadsheet/ods_reader.hpp"
#include "workbook_test_support.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using veikart::testing::make_ods;
using veikart::testing::make_zip;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string cell(const std::string& text) {
  return R"(<table:table-cell office:value-type="string"><text:p>)" + text + "</text:p></table:table-cell>";
}

std::string table(const std::string& name, const std::string& rows) {
  return R"(<table:table table:name=")" + name + R"("><table:table-column table:number-columns-repeated="1024"/>)" +
         rows + "</table:table>";
}

TEST(Ods, ReadsTypedValuesAndParagraphs) {
  const std::string rows =
      "<table:table-row>" + cell("ID") + cell("Verdi") +
      "</table:table-row>"
      "<table:table-row>"
      R"(<table:table-cell office:value-type="float" office:value="1234567.5" calcext:value-type="float"><text:p>1 234 567,50</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="percentage" office:value="0.25"><text:p>25 %</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="currency" office:currency="NOK" office:value="1500"><text:p>kr 1 500,00</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="date" office:date-value="2025-03-01"><text:p>01.03.2025</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="date" office:date-value="2025-04-15T13:45:00"><text:p>15.04.2025 13:45</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>SANN</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="string"><text:p>første</text:p><text:p>a<text:s text:c="3"/>b<text:s/>c<text:tab/>d</text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="string"><office:annotation><text:p>en kommentar</text:p></office:annotation><text:p>med <text:span>stil</text:span> og <text:a xlink:href="https://ks.no" xmlns:xlink="http://www.w3.org/1999/xlink">lenke</text:a></text:p></table:table-cell>)"
      R"(<table:table-cell office:value-type="time" office:time-value="PT13H45M00S"><text:p>13:45</text:p></table:table-cell>)"
      R"(<table:table-cell><text:p>1 234 567,50</text:p></table:table-cell>)"
      "</table:table-row>";
  auto sheet = read_ods(make_ods(table("Ark1", rows)));
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  EXPECT_EQ(sheet->name, "Ark1");
  ASSERT_EQ(sheet->rows.size(), 2u);
  EXPECT_EQ(sheet->rows[0], (CsvRow{1, {"ID", "Verdi"}}));
  EXPECT_EQ(sheet->rows[1], (CsvRow{2,
                                    {"1234567.5", "0.25", "1500", "2025-03-01", "2025-04-15", "true",
                                     "første\na   b c\td", "med stil og lenke", "13:45", "1 234 567,50"}}));
}

TEST(Ods, RepeatedRowsAndColumnsCostNothingUnlessFollowedByContent) {
  const std::string rows =
      "<table:table-row>" + cell("x") + R"(<table:table-cell table:number-columns-repeated="3"/>)" + cell("y") +
      R"(<table:table-cell table:number-columns-repeated="16379"/></table:table-row>)"
      R"(<table:table-row table:number-rows-repeated="4"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>)"
      R"(<table:table-row table:number-rows-repeated="3">)" +
      cell("samme") +
      R"(<table:table-cell office:value-type="float" office:value="2" table:number-columns-repeated="2"><text:p>2</text:p></table:table-cell>)"
      R"(<table:table-cell table:number-columns-repeated="16381"/></table:table-row>)"
      R"(<table:table-row table:number-rows-repeated="1048567"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>)";
  auto sheet = read_ods(make_ods(table("Ark1", rows)));
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  ASSERT_EQ(sheet->rows.size(), 4u);
  EXPECT_EQ(sheet->rows[0], (CsvRow{1, {"x", "", "", "", "y"}}));
  for (std::size_t i = 1; i <= 3; ++i) EXPECT_EQ(sheet->rows[i], (CsvRow{5 + i, {"samme", "2", "2"}})) << i;
}

TEST(Ods, SpannedCellsFillTheCellsTheyCover) {
  const std::string rows =
      "<table:table-row>" + cell("Fagområde") + cell("Prosjekt") + cell("Status") +
      "</table:table-row>"
      R"(<table:table-row><table:table-cell office:value-type="string" table:number-rows-spanned="2"><text:p>Helse</text:p></table:table-cell>)" +
      cell("Alfa") + cell("Pilot") +
      "</table:table-row>"
      "<table:table-row><table:covered-table-cell/>" +
      cell("Bravo") + cell("Idé") +
      "</table:table-row>"
      R"(<table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="3"><text:p>Sum</text:p></table:table-cell>)"
      R"(<table:covered-table-cell table:number-columns-repeated="2"/></table:table-row>)";
  auto sheet = read_ods(make_ods(table("Ark1", rows)));
  ASSERT_TRUE(sheet.ok()) << sheet.error().message;
  ASSERT_EQ(sheet->rows.size(), 4u);
  EXPECT_EQ(sheet->rows[2], (CsvRow{3, {"Helse", "Bravo", "Idé"}}));
  EXPECT_EQ(sheet->rows[3], (CsvRow{4, {"Sum", "Sum", "Sum"}}));
}

TEST(Ods, ChoosesTablesByNameAndPosition) {
  const std::string tables = table("Forside", "<table:table-row>" + cell("forside") + "</table:table-row>") +
                             table("Portefølje", "<table:table-row>" + cell("portefølje") + "</table:table-row>") +
                             table("Arkiv", "<table:table-row>" + cell("arkiv") + "</table:table-row>");
  const std::string bytes = make_ods(tables);
  EXPECT_EQ(read_ods(bytes)->rows[0].cells[0], "forside");
  auto by_name = read_ods(bytes, SheetChoice{"portefolje", std::nullopt});
  ASSERT_TRUE(by_name.ok()) << by_name.error().message;
  EXPECT_EQ(by_name->rows[0].cells[0], "portefølje");
  EXPECT_EQ(by_name->index, 2u);
  auto by_index = read_ods(bytes, SheetChoice{std::nullopt, 3});
  ASSERT_TRUE(by_index.ok());
  EXPECT_EQ(by_index->name, "Arkiv");
  EXPECT_EQ(by_index->all_names, (std::vector<std::string>{"Forside", "Portefølje", "Arkiv"}));
  auto missing = read_ods(bytes, SheetChoice{"Budsjett", std::nullopt});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "no sheet 'Budsjett' (the workbook has 'Forside', 'Portefølje', 'Arkiv')");
  EXPECT_FALSE(read_ods(bytes, SheetChoice{std::nullopt, 9}).ok());
}

TEST(Ods, RefusesWhatIsNotASpreadsheet) {
  auto text_doc = read_ods(make_ods("", "application/vnd.oasis.opendocument.text"));
  ASSERT_FALSE(text_doc.ok());
  EXPECT_EQ(text_doc.error().message,
            "not an ODS spreadsheet: the mimetype is 'application/vnd.oasis.opendocument.text'");
  auto no_content = read_ods(make_zip({{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}}));
  ASSERT_FALSE(no_content.ok());
  EXPECT_EQ(no_content.error().message, "not an ODS spreadsheet: content.xml is missing");
  EXPECT_FALSE(read_ods("plain text").ok());
  auto doctype =
      read_ods(make_zip({{"content.xml", R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>)"}}));
  ASSERT_FALSE(doctype.ok());
  EXPECT_TRUE(contains(doctype.error().message, "DOCTYPE is not allowed")) << doctype.error().message;
}

TEST(Ods, HugeRepeatsOfContentHitTheLimits) {
  const std::string rows =
      R"(<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p></table:table-cell></table:table-row>)";
  auto sheet = read_ods(make_ods(table("Ark1", rows)));
  ASSERT_FALSE(sheet.ok());
  EXPECT_TRUE(contains(sheet.error().message, "more than 10000000 cells")) << sheet.error().message;
  const std::string wide =
      R"(<table:table-row><table:table-cell table:number-columns-repeated="20000"/><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>)";
  auto outside = read_ods(make_ods(table("Ark1", wide)));
  ASSERT_FALSE(outside.ok());
  EXPECT_TRUE(contains(outside.error().message, "outside the sheet")) << outside.error().message;
}

}  // namespace
}  // namespace veikart::adapters::spreadsheet
