#pragma once
/// @brief Reads the date forms Norwegian roadmap spreadsheets use (15.04.2021, Q3 2025, høst 2024, 2025 ...).

#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/expected.hpp"
#include "gateway/core/model.hpp"

namespace veikart::adapters {

/// A date as the canonical model carries it: the first day of the period the text names.
struct ParsedDate {
  std::string date;  // ISO YYYY-MM-DD
  Precision precision = Precision::day;
  std::string label;  // the source's own words, trimmed
  bool operator==(const ParsedDate&) const = default;
};

/// Parses one date cell. Accepted forms (case and accents do not matter):
///   day      15.04.2021, 15/04/2021, 15-04-2021, 2021-04-15
///   month    april 2021, apr. 2021, 04.2021, 2021-04
///   quarter  Q3 2025, 3. kvartal 2025, 3. kv. 2025, 2025 Q3
///   half     H2 2025, 1. halvår 2025, vår 2025 (first half), høst 2024 (second half)
///   year     2025
///   serial   45383 (an Excel 1900-system day number, 20000 to 80000, i.e. 1954 to 2119: what a date cell
///            becomes when a workbook is saved as CSV without its date format)
/// "vår"/"våren" is read as the first half (YYYY-01-01) and "høst"/"høsten" as the second half
/// (YYYY-07-01): the seasons are how budget plans talk about halves, and half precision keeps the
/// vagueness visible. Impossible dates (31.02.2021) and years outside 1900..2199 are errors; the
/// error message quotes the text, e.g. "cannot read date 'snart'".
Expected<ParsedDate> parse_date(std::string_view text);

/// The ISO date of a spreadsheet day number: in the 1900 system day 1 is 1900-01-01 and day 61 is
/// 1900-03-01 (Excel counts a 29 February 1900 that never was); in the 1904 system day 0 is 1904-01-01.
/// Nullopt outside 1900..9999.
std::optional<std::string> excel_serial_date(long long day, bool date1904 = false);

}  // namespace veikart::adapters
