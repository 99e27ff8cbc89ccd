#include <gtest/gtest.h>

#include "adapters/common/csv.hpp"

namespace veikart::adapters {
namespace {

std::vector<std::string> cells(std::initializer_list<const char*> list) { return {list.begin(), list.end()}; }

TEST(Csv, SplitsOnTheForcedDelimiter) {
  CsvOptions o;
  o.delimiter = ';';
  auto t = read_csv("a;b;c\n1;2;3\n", o);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].cells, cells({"a", "b", "c"}));
  EXPECT_EQ(t->rows[1].cells, cells({"1", "2", "3"}));
  EXPECT_EQ(t->rows[1].line, 2u);
}

TEST(Csv, DetectsTheDelimiterByConsistency) {
  // Commas inside text appear now and then; the semicolon splits every line alike.
  EXPECT_EQ(detect_delimiter("Tittel\nID;Navn;Kommuner\n1;Sak, arkiv;Sandnes, Sola\n2;Helse;Sola\n"), ';');
  EXPECT_EQ(detect_delimiter("ID,Navn,Status\n1,\"Sak; arkiv\",Pilot\n2,Helse,Drift\n"), ',');
  EXPECT_EQ(detect_delimiter("ID\tNavn\tStatus\n1\tSak, arkiv\tPilot\n2\tHelse; ny\tDrift\n"), '\t');
  // A decimal comma in every row still loses to the delimiter that splits more cells.
  EXPECT_EQ(detect_delimiter("a;b;c;d\n1,5;2;3;4\n2,5;3;4;5\n"), ';');
  EXPECT_EQ(detect_delimiter("just one column\nand another\n"), ';');
}

TEST(Csv, AutoDelimiterIsReported) {
  auto t = read_csv("ID,Navn\n1,Helse\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->delimiter, ',');
  EXPECT_EQ(t->rows[1].cells, cells({"1", "Helse"}));
}

TEST(Csv, QuotedCellsWithNewlinesDelimitersAndDoubledQuotes) {
  auto t = read_csv("ID;Tekst;Neste\n1;\"linje 1\nlinje 2; med \"\"sitat\"\"\";x\n2;\"\";\"a\"\"\"\n3;y;z\n");
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(t->rows[1].cells, cells({"1", "linje 1\nlinje 2; med \"sitat\"", "x"}));
  EXPECT_EQ(t->rows[1].line, 2u);
  EXPECT_EQ(t->rows[2].cells, cells({"2", "", "a\""}));
  EXPECT_EQ(t->rows[2].line, 4u);  // the quoted line break took line 3
  EXPECT_EQ(t->rows[3].line, 5u);
}

TEST(Csv, MixedLineBreaksCountAsLines) {
  auto t = read_csv("a;b\r\n1;2\r3;4\n5;\"x\r\ny\"\n6;7", {});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->rows.size(), 5u);
  EXPECT_EQ(t->rows[2].cells, cells({"3", "4"}));
  EXPECT_EQ(t->rows[2].line, 3u);
  EXPECT_EQ(t->rows[3].cells, cells({"5", "x\ny"}));  // CRLF inside a cell becomes \n
  EXPECT_EQ(t->rows[4].line, 6u);
  EXPECT_EQ(t->rows[4].cells, cells({"6", "7"}));  // no final line break
}

TEST(Csv, BlankLinesKeepLineNumbersAndRaggedRowsStay) {
  auto t = read_csv("a;b;c\n\n1;2\n1;2;3;4\n", {});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(t->rows[1].cells, cells({""}));
  EXPECT_EQ(t->rows[2].cells.size(), 2u);
  EXPECT_EQ(t->rows[3].cells.size(), 4u);
  EXPECT_EQ(t->rows[3].line, 4u);
}

TEST(Csv, TextAfterAClosingQuoteIsKept) {
  auto t = read_csv("\"abc\"def;\"x\"\n", {});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rows[0].cells, cells({"abcdef", "x"}));
}

TEST(Csv, Utf8BomIsStripped) {
  auto t = read_csv(
      "\xEF\xBB\xBFID;Fagomr\xC3\xA5"
      "de\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->encoding, CsvEncoding::utf8);
  EXPECT_EQ(t->rows[0].cells, cells({"ID", "Fagområde"}));
}

TEST(Csv, InvalidUtf8IsReadAsWindows1252) {
  // "Fagområde;Innføring – høst" as Excel saves it on Norwegian Windows.
  auto t = read_csv(
      "Fagomr\xE5"
      "de;Innf\xF8ring \x96 h\xF8st\n");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->encoding, CsvEncoding::windows_1252);
  EXPECT_EQ(t->rows[0].cells, cells({"Fagområde", "Innføring – høst"}));
}

TEST(Csv, ForcedWindows1252ConvertsEvenValidUtf8) {
  CsvOptions o;
  o.encoding = CsvEncoding::windows_1252;
  auto t = read_csv("\xC3\xA5", o);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->rows[0].cells[0], "Ã¥");
}

TEST(Csv, ForcedUtf8WithInvalidBytesNamesTheLine) {
  CsvOptions o;
  o.encoding = CsvEncoding::utf8;
  auto t = read_csv("a;b\r\nok;fine\r\nbad;\xE5\r\n", o);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("line 3"), std::string::npos) << t.error().message;
}

TEST(Csv, UnterminatedQuoteIsAnError) {
  auto t = read_csv("a;b\n1;\"never closed\n2;3\n", {});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("line 2"), std::string::npos) << t.error().message;
}

TEST(Csv, LimitsAreErrorsNotCrashes) {
  CsvOptions o;
  o.max_cells_per_row = 5;
  auto wide = read_csv("a;b;c\n1;2;3;4;5;6;7\n", o);
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().message.find("line 2"), std::string::npos) << wide.error().message;

  CsvOptions small;
  small.max_field_bytes = 16;
  auto big = read_csv("a;b\n1;" + std::string(17, 'x') + "\n", small);
  ASSERT_FALSE(big.ok());
  auto big_quoted = read_csv("a;b\n1;\"" + std::string(40, 'y') + "\"\n", small);
  ASSERT_FALSE(big_quoted.ok());
  auto fits = read_csv("a;b\n1;" + std::string(16, 'x') + "\n", small);
  EXPECT_TRUE(fits.ok());

  // The default limits hold for a row of 20,000 cells.
  auto huge = read_csv(std::string(20'000, ';') + "\n", {});
  EXPECT_FALSE(huge.ok());
}

TEST(Csv, EmptyInputGivesNoRows) {
  auto t = read_csv("", {});
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->rows.empty());
}

}  // namespace
}  // namespace veikart::adapters
