#pragma once
/// @brief Reads one sheet of an ODS (OpenDocument spreadsheet) into CSV-shaped rows, streaming content.xml.

#include <string_view>

#include "adapters/spreadsheet/workbook.hpp"
#include "gateway/core/expected.hpp"

namespace veikart::adapters::spreadsheet {

/// Reads the chosen table of the spreadsheet in `bytes`. Values come from the typed attributes (float,
/// percentage and currency as plain numbers, dates as ISO dates, booleans as true/false) and otherwise from
/// the cell's paragraphs (joined with a line break). Repeated rows and cells are only materialised when they
/// hold something, so the customary trailing `number-columns-repeated="16384"` costs nothing; spanned cells
/// repeat their value over the cells they cover.
Expected<Sheet> read_ods(std::string_view bytes, const SheetChoice& choice = {}, const SheetLimits& limits = {});

}  // namespace veikart::adapters::spreadsheet
