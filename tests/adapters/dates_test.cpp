#include <gtest/gtest.h>

#include "adapters/common/dates.hpp"

namespace veikart::adapters {
namespace {

struct DateCase {
  const char* text;
  const char* date;
  Precision precision;
};

class DateForms : public ::testing::TestWithParam<DateCase> {};

TEST_P(DateForms, ReadsTheFirstDayOfThePeriod) {
  const DateCase& c = GetParam();
  auto d = parse_date(c.text);
  ASSERT_TRUE(d.ok()) << c.text << ": " << d.error().message;
  EXPECT_EQ(d->date, c.date) << c.text;
  EXPECT_EQ(d->precision, c.precision) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    NorwegianForms, DateForms,
    ::testing::Values(
        DateCase{"15.04.2021", "2021-04-15", Precision::day}, DateCase{"15/04/2021", "2021-04-15", Precision::day},
        DateCase{"15-04-2021", "2021-04-15", Precision::day}, DateCase{"1.4.2021", "2021-04-01", Precision::day},
        DateCase{"2021-04-15", "2021-04-15", Precision::day}, DateCase{"29.02.2024", "2024-02-29", Precision::day},
        DateCase{"april 2021", "2021-04-01", Precision::month}, DateCase{"April 2021", "2021-04-01", Precision::month},
        DateCase{"apr. 2021", "2021-04-01", Precision::month}, DateCase{"apr.2021", "2021-04-01", Precision::month},
        DateCase{"des 2024", "2024-12-01", Precision::month}, DateCase{"mai 2025", "2025-05-01", Precision::month},
        DateCase{"04.2021", "2021-04-01", Precision::month}, DateCase{"2021-11", "2021-11-01", Precision::month},
        DateCase{"Q3 2025", "2025-07-01", Precision::quarter}, DateCase{"q1 2026", "2026-01-01", Precision::quarter},
        DateCase{"3. kvartal 2025", "2025-07-01", Precision::quarter},
        DateCase{"4. kv. 2025", "2025-10-01", Precision::quarter},
        DateCase{"3. kv. 2025", "2025-07-01", Precision::quarter},
        DateCase{"2025 Q2", "2025-04-01", Precision::quarter}, DateCase{"H2 2025", "2025-07-01", Precision::half},
        DateCase{"H1 2025", "2025-01-01", Precision::half}, DateCase{"1. halvår 2025", "2025-01-01", Precision::half},
        DateCase{"2. HALVÅR 2025", "2025-07-01", Precision::half}, DateCase{"høst 2024", "2024-07-01", Precision::half},
        DateCase{"Høsten 2024", "2024-07-01", Precision::half}, DateCase{"vår 2025", "2025-01-01", Precision::half},
        DateCase{"våren 2025", "2025-01-01", Precision::half}, DateCase{"2025", "2025-01-01", Precision::year},
        DateCase{"  2026 ", "2026-01-01", Precision::year}));

TEST(Dates, LabelIsTheTrimmedOriginalText) {
  auto d = parse_date("  høst 2024\t");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->label, "høst 2024");
}

TEST(Dates, RejectsImpossibleDates) {
  for (const char* text : {"31.02.2021", "29.02.2023", "31.04.2021", "00.01.2021", "15.13.2021", "2021-02-30",
                           "13.2021", "Q5 2025", "0. kvartal 2025", "H3 2025", "3. halvår 2025", "1850"}) {
    auto d = parse_date(text);
    EXPECT_FALSE(d.ok()) << text << " read as " << (d.ok() ? d->date : "");
  }
}

TEST(Dates, ErrorQuotesTheText) {
  auto d = parse_date("snart");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "cannot read date 'snart'");
  auto impossible = parse_date("31.02.2021");
  ASSERT_FALSE(impossible.ok());
  EXPECT_EQ(impossible.error().message, "no such date '31.02.2021'");
}

TEST(Dates, RejectsTextThatOnlyLooksLikeADate) {
  for (const char* text : {"", "   ", "15.04.21", "15.04", "2021-04-15T10:00", "april", "sommer 2024", "Q3", "12345",
                           "15.04-2021", "Q3 2025 eller senere", "1.2.3.4"}) {
    EXPECT_FALSE(parse_date(text).ok()) << text;
  }
}

TEST(Dates, ExcelSerialsFromCsvExportsAreDays) {
  // A date column saved as CSV without its format holds day numbers of Excel's 1900 system.
  const std::pair<const char*, const char*> cases[] = {
      {"45383", "2024-04-01"}, {" 45383 ", "2024-04-01"}, {"20000", "1954-10-03"}, {"80000", "2119-01-11"}};
  for (const auto& [text, date] : cases) {
    auto d = parse_date(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.error().message;
    EXPECT_EQ(d->date, date) << text;
    EXPECT_EQ(d->precision, Precision::day) << text;
  }
  EXPECT_EQ(parse_date(" 45383 ")->label, "45383");
  // Outside the window an integer is more likely an amount or an id.
  for (const char* text : {"19999", "80001", "123456", "45383.5", "-45383"}) {
    EXPECT_FALSE(parse_date(text).ok()) << text;
  }
}

TEST(Dates, ExcelSerialDateInBothSystems) {
  EXPECT_EQ(excel_serial_date(1), "1900-01-01");
  EXPECT_EQ(excel_serial_date(59), "1900-02-28");
  EXPECT_EQ(excel_serial_date(61), "1900-03-01");  // after Excel's phantom 29 February 1900
  EXPECT_EQ(excel_serial_date(45383), "2024-04-01");
  EXPECT_EQ(excel_serial_date(0), std::nullopt);
  EXPECT_EQ(excel_serial_date(0, true), "1904-01-01");
  EXPECT_EQ(excel_serial_date(43921, true), "2024-04-01");  // 1462 days fewer than the 1900 system
  EXPECT_EQ(excel_serial_date(-1, true), std::nullopt);
  EXPECT_EQ(excel_serial_date(2958465), "9999-12-31");
  EXPECT_EQ(excel_serial_date(2958466), std::nullopt);
}

}  // namespace
}  // namespace veikart::adapters
