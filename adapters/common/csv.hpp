#pragma once
/// @brief A forgiving CSV reader for spreadsheet exports: encoding and delimiter detection, RFC 4180 quoting.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/expected.hpp"

namespace veikart::adapters {

enum class CsvEncoding { automatic, utf8, windows_1252 };

struct CsvOptions {
  /// automatic: a UTF-8 byte order mark or valid UTF-8 means UTF-8, anything else is read as Windows-1252
  /// (what Excel on Norwegian Windows saves as "CSV (semikolonseparert)").
  CsvEncoding encoding = CsvEncoding::automatic;
  /// 0 = choose among ';', ',' and tab by how consistently each splits the first non-empty lines.
  char delimiter = 0;
  /// Guards against hostile or broken files: exceeding either makes the read an error.
  std::size_t max_cells_per_row = 10'000;
  std::size_t max_field_bytes = 1 << 20;
};

/// One record; a record may span several lines when quoted cells hold line breaks.
struct CsvRow {
  std::size_t line = 0;            // 1-based line of the record's first character
  std::vector<std::string> cells;  // UTF-8, as written (not trimmed); ragged rows keep their own length
  bool operator==(const CsvRow&) const = default;
};

struct CsvTable {
  std::vector<CsvRow> rows;  // blank lines come through as rows of one empty cell, so line numbers stay honest
  char delimiter = ';';
  CsvEncoding encoding = CsvEncoding::utf8;  // the encoding actually used
};

/// Reads the bytes of a CSV file. Line breaks may be CRLF, LF or CR, mixed. A quoted cell is unquoted
/// with "" read as "; text after a closing quote is kept. Errors (invalid UTF-8 when forced, an unterminated
/// quote, a limit exceeded) name the line.
Expected<CsvTable> read_csv(std::string_view bytes, const CsvOptions& options = {});

/// Exposed for tests: the delimiter read_csv would choose for already-decoded text.
char detect_delimiter(std::string_view text);

}  // namespace veikart::adapters
