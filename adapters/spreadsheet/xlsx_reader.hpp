#pragma once
/// @brief Reads one sheet of an XLSX (Office Open XML) workbook into CSV-shaped rows, streaming its XML.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/spreadsheet/workbook.hpp"
#include "gateway/core/expected.hpp"

namespace veikart::adapters::spreadsheet {

/// Reads the chosen sheet of the workbook in `bytes`. Shared and inline strings (rich text runs joined),
/// numbers, booleans, error values, and number cells whose style is a date format (as ISO dates, in the 1900
/// or 1904 date system) come out as text; merged ranges repeat their top-left value. Errors name the part,
/// e.g. "xl/worksheets/sheet1.xml: ...".
Expected<Sheet> read_xlsx(std::string_view bytes, const SheetChoice& choice = {}, const SheetLimits& limits = {});

/// Reads a sheet row by row for a caller that maps rows as they come. A large sheet part (at least
/// `threads_from_bytes` inflated) is parsed on a worker thread while the caller takes rows, with a few blocks of
/// rows in between, so reading and mapping share two cores and memory stays flat. Merged ranges come after the
/// rows in a worksheet and can change rows already read, and rows may be out of order; so a second worker first
/// scans the part's bytes for `mergeCell` elements and descending row numbers, and the rows are held back until
/// it has found neither. When it finds either (or cannot tell), the whole sheet is read first and merged and
/// sorted, as `read_xlsx` does. Smaller parts are read that way too, on the calling thread.
/// The bytes must outlive the reader. Destroying the reader stops its workers.
class XlsxRowReader {
 public:
  static constexpr std::uint64_t default_threads_from_bytes = 4u << 20;

  static Expected<std::unique_ptr<XlsxRowReader>> open(std::string_view bytes, const SheetChoice& choice = {},
                                                       const SheetLimits& limits = {},
                                                       std::uint64_t threads_from_bytes = default_threads_from_bytes);
  ~XlsxRowReader();
  XlsxRowReader(const XlsxRowReader&) = delete;
  XlsxRowReader& operator=(const XlsxRowReader&) = delete;

  const std::string& sheet_name() const;
  /// The next row in line order, valid until the next call; nullptr at the end and after an error.
  const CsvRow* next();
  /// Why the rows ended early, e.g. a malformed cell late in the sheet.
  const std::optional<Error>& error() const;
  /// How the sheet was read, for tests: on worker threads with rows handed over as read, on worker threads
  /// but held until the whole sheet was read (merges or out-of-order rows), or on the calling thread.
  enum class Mode { streamed, whole_on_worker, whole };
  Mode mode();

  struct State;

 private:
  explicit XlsxRowReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

/// Exposed for tests: whether a number format code shows a date or time (d, m, y or h outside quotes,
/// brackets and escapes; elapsed-time formats like [h]:mm are durations, not dates).
bool is_date_format(std::string_view code);

}  // namespace veikart::adapters::spreadsheet
