#pragma once
/// @brief Reads one sheet of an XLSX (Office Open XML) workbook into CSV-shaped rows, streaming its XML.

#include <string_view>

#include "adapters/spreadsheet/workbook.hpp"
#include "gateway/core/expected.hpp"

namespace veikart::adapters::spreadsheet {

/// Reads the chosen sheet of the workbook in `bytes`. Shared and inline strings (rich text runs joined),
/// numbers, booleans, error values, and number cells whose style is a date format (as ISO dates, in the 1900
/// or 1904 date system) come out as text; merged ranges repeat their top-left value. Errors name the part,
/// e.g. "xl/worksheets/sheet1.xml: ...".
Expected<Sheet> read_xlsx(std::string_view bytes, const SheetChoice& choice = {}, const SheetLimits& limits = {});

/// The same, with the rows held compactly (what the adapter maps from).
Expected<CompactSheet> read_xlsx_compact(std::string_view bytes, const SheetChoice& choice = {},
                                         const SheetLimits& limits = {});

/// Exposed for tests: whether a number format code shows a date or time (d, m, y or h outside quotes,
/// brackets and escapes; elapsed-time formats like [h]:mm are durations, not dates).
bool is_date_format(std::string_view code);

}  // namespace veikart::adapters::spreadsheet
