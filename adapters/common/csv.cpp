#include "adapters/common/csv.hpp"

#include <array>
#include <map>
#include <optional>

#include "gateway/core/text.hpp"

namespace veikart::adapters {
namespace {

constexpr std::size_t delimiter_sample_lines = 20;

/// Line of the first byte sequence that is not UTF-8. Multi-byte sequences never contain '\n' or '\r',
/// so checking line by line finds the same faults as checking the whole text.
std::size_t first_invalid_utf8_line(std::string_view bytes) {
  std::size_t line = 1;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    bool end = i == bytes.size();
    if (!end && bytes[i] != '\n' && bytes[i] != '\r') continue;
    if (!is_valid_utf8(bytes.substr(start, i - start))) return line;
    if (!end) {
      // CRLF is one line break.
      if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
      ++line;
    }
    start = i + 1;
  }
  return 0;
}

}  // namespace

char detect_delimiter(std::string_view text) {
  static constexpr std::array<char, 3> candidates = {';', ',', '\t'};
  std::array<std::vector<std::size_t>, 3> counts;
  std::array<std::size_t, 3> current{};
  bool quoted = false;
  bool line_has_content = false;
  std::size_t lines = 0;
  auto end_line = [&] {
    if (line_has_content) {
      for (std::size_t c = 0; c < candidates.size(); ++c) counts[c].push_back(current[c]);
      ++lines;
    }
    current = {};
    line_has_content = false;
  };
  for (std::size_t i = 0; i < text.size() && lines < delimiter_sample_lines; ++i) {
    char ch = text[i];
    if (ch == '"') {
      quoted = !quoted;  // "" inside quotes toggles twice: no harm
      line_has_content = true;
    } else if (!quoted && (ch == '\n' || ch == '\r')) {
      end_line();
    } else if (!quoted) {
      for (std::size_t c = 0; c < candidates.size(); ++c) {
        if (ch == candidates[c]) ++current[c];
      }
      if (ch != ' ') line_has_content = true;
    }
  }
  if (lines < delimiter_sample_lines) end_line();

  // The winner splits the most lines into the same number of cells; ties go to more cells, then to ';'
  // (the Norwegian Excel default) before ',' before tab.
  char best = ';';
  std::size_t best_consistent = 0, best_mode = 0;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    std::map<std::size_t, std::size_t> frequency;
    for (std::size_t n : counts[c]) {
      if (n > 0) ++frequency[n];
    }
    std::size_t mode = 0, consistent = 0;
    for (const auto& [n, f] : frequency) {
      if (f > consistent || (f == consistent && n > mode)) {
        mode = n;
        consistent = f;
      }
    }
    if (consistent > best_consistent || (consistent == best_consistent && consistent > 0 && mode > best_mode)) {
      best = candidates[c];
      best_consistent = consistent;
      best_mode = mode;
    }
  }
  return best;
}

Expected<CsvTable> read_csv(std::string_view bytes, const CsvOptions& options) {
  CsvTable table;
  std::string text;
  switch (options.encoding) {
    case CsvEncoding::automatic: {
      std::string_view stripped = strip_utf8_bom(bytes);
      if (stripped.size() != bytes.size() || is_valid_utf8(bytes)) {
        if (std::size_t bad = first_invalid_utf8_line(stripped)) {
          return Error{"line " + std::to_string(bad) +
                       ": invalid UTF-8 in a file that starts with a UTF-8 byte order mark"};
        }
        text.assign(stripped);
        table.encoding = CsvEncoding::utf8;
      } else {
        text = cp1252_to_utf8(bytes);
        table.encoding = CsvEncoding::windows_1252;
      }
      break;
    }
    case CsvEncoding::utf8: {
      std::string_view stripped = strip_utf8_bom(bytes);
      if (std::size_t bad = first_invalid_utf8_line(stripped)) {
        return Error{"line " + std::to_string(bad) + ": invalid UTF-8 (the source is configured as utf-8)"};
      }
      text.assign(stripped);
      table.encoding = CsvEncoding::utf8;
      break;
    }
    case CsvEncoding::windows_1252:
      text = cp1252_to_utf8(bytes);
      table.encoding = CsvEncoding::windows_1252;
      break;
  }

  const char delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(text);
  table.delimiter = delimiter;

  std::size_t line = 1;
  CsvRow row;
  row.line = 1;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  std::size_t quote_line = 0;
  bool row_started = false;  // anything read since the last record ended

  auto too_big = [&]() -> std::optional<Error> {
    if (field.size() > options.max_field_bytes) {
      return Error{"line " + std::to_string(row.line) + ": a cell is longer than " +
                   std::to_string(options.max_field_bytes) + " bytes"};
    }
    return std::nullopt;
  };
  auto end_field = [&]() -> std::optional<Error> {
    if (row.cells.size() >= options.max_cells_per_row) {
      return Error{"line " + std::to_string(row.line) + ": more than " + std::to_string(options.max_cells_per_row) +
                   " cells in one row"};
    }
    row.cells.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
    return std::nullopt;
  };
  auto end_row = [&](std::size_t next_line) -> std::optional<Error> {
    if (auto e = end_field()) return e;
    table.rows.push_back(std::move(row));
    row = CsvRow{};
    row.line = next_line;
    row_started = false;
    return std::nullopt;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\r' || ch == '\n') {
          // Inside a cell every kind of line break becomes '\n', but each still counts as a line.
          if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
          field.push_back('\n');
          ++line;
        } else {
          field.push_back(ch);
        }
        if (auto e = too_big()) return *e;
      }
      continue;
    }
    if (ch == delimiter) {
      row_started = true;
      if (auto e = end_field()) return *e;
    } else if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      if (auto e = end_row(line)) return *e;
    } else if (ch == '"' && field.empty() && !field_was_quoted) {
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
      row_started = true;
    } else {
      field.push_back(ch);
      row_started = true;
      if (auto e = too_big()) return *e;
    }
  }
  if (in_quotes) {
    return Error{"line " + std::to_string(quote_line) + ": a quoted cell is never closed"};
  }
  if (row_started) {
    if (auto e = end_row(line)) return *e;
  }
  return table;
}

}  // namespace veikart::adapters
