#pragma once
/// @brief What the XLSX and ODS fuzz targets share: small reader limits and the invariants a read sheet must keep.

#include <cstdlib>

#include "adapters/spreadsheet/workbook.hpp"

namespace veikart::fuzz {

/// Small limits keep each input cheap; the code that enforces them is the same at any size.
inline adapters::spreadsheet::SheetLimits sheet_limits() {
  adapters::spreadsheet::SheetLimits limits;
  limits.zip.max_entries = 64;
  limits.zip.max_entry_bytes = 8u << 20;
  limits.zip.max_total_bytes = 16u << 20;
  limits.max_cells = 200'000;
  limits.max_text_bytes = 4u << 20;
  limits.max_merges = 1000;
  return limits;
}

/// Aborts (a finding) when a sheet the reader accepted breaks its limits.
template <class Sheet>
void check_sheet(const Sheet& sheet, const adapters::spreadsheet::SheetLimits& limits) {
  std::size_t cells = 0;
  for (const auto& row : sheet.rows) {
    if (row.line == 0 || row.line > limits.max_rows || row.cells.size() > limits.max_columns) std::abort();
    cells += row.cells.size();
  }
  if (cells > limits.max_cells) std::abort();
}

}  // namespace veikart::fuzz
