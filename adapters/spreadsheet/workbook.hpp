#pragma once
/// @brief What the XLSX and ODS readers share: the sheet they return, its limits, and a guarded XML stream.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/common/csv.hpp"
#include "adapters/common/zip_archive.hpp"
#include "gateway/core/expected.hpp"

namespace veikart::adapters::spreadsheet {

/// Which sheet to read: by name (matched with `fold`), by 1-based position, or the first one.
struct SheetChoice {
  std::optional<std::string> name;
  std::optional<std::size_t> index;
};

/// Limits on what a sheet may materialise. A workbook's XML can describe far more than it stores
/// (repeated rows, merged ranges, one shared string referenced a million times), so the output is capped
/// as well as the input.
struct SheetLimits {
  ZipLimits zip;
  std::size_t max_rows = 1'048'576;  // both formats' own maximum
  std::size_t max_columns = 16'384;
  std::size_t max_cells = 10'000'000;  // cells held, counting the empty ones between filled ones
  std::size_t max_text_bytes = 256u << 20;
  std::size_t max_merges = 100'000;
};

/// One sheet as rows shaped like CSV records: `line` is the 1-based row number, cells are UTF-8 text with
/// dates as YYYY-MM-DD, numbers in plain decimal notation and booleans as true/false. Rows without any
/// value are left out, so row numbers may jump.
struct Sheet {
  std::string name;
  std::size_t index = 0;               // 1-based position in the workbook
  std::vector<std::string> all_names;  // every sheet in workbook order, for messages
  std::vector<CsvRow> rows;
};

/// "A" for column 0, "Z" for 25, "AA" for 26.
std::string column_letters(std::size_t zero_based);

/// A number as a cell shows it without a format: at most 15 significant digits (what Excel keeps), no
/// exponent, no trailing zeros: 1234567.5, 12, 0.25. Writes into `out` (replacing its content).
void format_number(double value, std::string& out);

/// Picks the sheet from the names in workbook order; the error lists the names.
Expected<std::size_t> choose_sheet(const std::vector<std::string>& names, const SheetChoice& choice);

/// Collects cells in any order and turns them into rows, filling merged ranges and enforcing the limits.
class SheetBuilder {
 public:
  explicit SheetBuilder(const SheetLimits& limits) : limits_(limits) {}

  /// Stores a value at a 1-based row and column; empty values are not stored. False after an error.
  bool set(std::uint64_t row, std::uint64_t column, std::string_view value);
  /// Copies the cells of `row` (already set) to `count` rows that follow it.
  bool repeat_row(std::uint64_t row, std::uint64_t count);
  /// Records a merged range (1-based, inclusive) whose top-left value fills the rest.
  bool add_merge(std::uint64_t first_row, std::uint64_t first_column, std::uint64_t last_row,
                 std::uint64_t last_column);
  /// Applies the merges and returns the rows in order.
  Expected<std::vector<CsvRow>> finish();

  const std::optional<Error>& error() const { return error_; }

 private:
  struct Merge {
    std::uint64_t first_row, first_column, last_row, last_column;
  };
  CsvRow* row_at(std::uint64_t row);
  bool put(CsvRow& row, std::uint64_t column, std::string_view value);
  bool fail(std::string message);

  const SheetLimits& limits_;
  std::vector<CsvRow> rows_;
  bool sorted_ = true;
  std::vector<Merge> merges_;
  std::size_t cells_ = 0;
  std::size_t text_bytes_ = 0;
  std::optional<Error> error_;
};

/// A libxml2 text reader over a zip entry or over bytes: no network, no entity substitution, no DTD
/// loading, and a DOCTYPE (where entity bombs live; no workbook part has one) ends the read with an error.
class XmlStream {
 public:
  enum class Node { element, end_element, text, other };

  /// Streams a zip entry; `part` names it in messages. The entry reader is owned by the stream.
  static Expected<XmlStream> open(ZipArchive& archive, std::string_view part);
  /// Parses bytes the caller keeps alive for the stream's lifetime.
  static Expected<XmlStream> from_memory(std::string_view bytes, std::string_view part);

  XmlStream(XmlStream&&) noexcept;
  XmlStream& operator=(XmlStream&&) noexcept;
  ~XmlStream();

  /// Moves to the next node; false at the end of the document or on an error (then `error()` is set).
  bool next();
  /// Skips the current element's subtree; the following `next()` moves to the node after it.
  void skip();

  Node node() const { return node_; }
  bool empty_element() const;
  int depth() const;
  std::string_view local_name() const;
  std::string_view namespace_uri() const;
  /// Text of a text, CDATA or white-space node.
  std::string_view text() const;

  /// Calls f(local_name, namespace_uri, value) for each attribute of the current element.
  template <class F>
  void for_each_attribute(F&& f) {
    if (!first_attribute()) return;
    do {
      f(local_name(), namespace_uri(), attribute_value());
    } while (next_attribute());
    back_to_element();
  }

  const std::optional<Error>& error() const;

 private:
  struct State;
  explicit XmlStream(std::unique_ptr<State> state);
  bool first_attribute();
  bool next_attribute();
  void back_to_element();
  std::string_view attribute_value() const;
  void classify();

  std::unique_ptr<State> state_;
  Node node_ = Node::other;
};

/// Parses a non-negative decimal integer attribute; nullopt when it is not one (or is absurdly long).
std::optional<std::uint64_t> parse_count(std::string_view s);

}  // namespace veikart::adapters::spreadsheet
