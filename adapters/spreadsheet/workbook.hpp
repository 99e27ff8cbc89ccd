#pragma once
/// @brief What the XLSX and ODS readers share: the sheet they return, its limits, and a guarded XML stream.

#include <cstddef>
#include <cstdint>
#include <functional>
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

/// A sheet's rows held compactly: each row's cells are length-prefixed text in one buffer, so 100,000 rows
/// cost their text plus a few bytes per cell instead of a `std::string` per cell. Rows are in line order.
class SheetRows {
 public:
  std::size_t size() const { return rows_.size(); }
  std::size_t line(std::size_t i) const { return static_cast<std::size_t>(rows_[i].line); }
  /// Decodes row `i` into `into`, reusing its strings' storage (cells beyond the row's own are dropped).
  void read(std::size_t i, CsvRow& into) const;
  std::vector<CsvRow> to_vector() const;
  /// Drops the rows and keeps the storage, for the next rows to reuse.
  void clear() {
    rows_.clear();
    data_.clear();
  }

 private:
  friend class SheetBuilder;
  struct Row {
    std::uint64_t line;
    std::uint32_t offset;  // into data_; the limits keep the text far below 4 GiB
    std::uint32_t size;
  };
  /// Appends the encoding of `count` cells and returns its position.
  Row append(std::uint64_t line, const std::string* cells, std::size_t count);

  std::vector<Row> rows_;
  std::string data_;
};

/// "A" for column 0, "Z" for 25, "AA" for 26.
std::string column_letters(std::size_t zero_based);

/// A number as a cell shows it without a format: at most 15 significant digits (what Excel keeps), no
/// exponent, no trailing zeros: 1234567.5, 12, 0.25. Writes into `out` (replacing its content).
void format_number(double value, std::string& out);
/// The same for a number read from `written`: when the text is already in that form (a plain decimal of at
/// most 15 digits, no superfluous zeros, as most stored cells are) it is copied instead of printed anew.
void format_number(std::string_view written, double value, std::string& out);

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
  /// The same, compactly.
  Expected<SheetRows> finish_rows();
  /// For a sheet read in order, while it is being read: stores the row being filled and hands over every row
  /// stored so far (the limits keep counting over the whole sheet). Merges and order are not applied: the caller
  /// checks `in_order()` and `has_merges()`.
  /// `reuse`: emptied storage of rows taken before, to fill next (a large sheet's blocks of rows circulate).
  SheetRows take_rows(SheetRows reuse = {});
  /// False once a row started at or below a line already started (rows out of order, or one row continued later).
  bool in_order() const { return sorted_; }
  bool has_merges() const { return !merges_.empty(); }

  const std::optional<Error>& error() const { return error_; }

 private:
  struct Merge {
    std::uint64_t first_row, first_column, last_row, last_column;
  };
  /// Makes `row` the row being filled, storing the previous one; false (with the error set) when out of range.
  bool start_row(std::uint64_t row);
  void store_current();
  bool put(CsvRow& row, std::size_t& used, std::uint64_t column, std::string_view value);
  bool fail(std::string message);

  const SheetLimits& limits_;
  SheetRows rows_;
  CsvRow current_;        // the row being filled; its strings are reused from row to row
  std::size_t used_ = 0;  // cells of current_ in use
  bool has_current_ = false;
  bool started_ = false;         // a row has been started
  std::uint64_t last_line_ = 0;  // the highest line stored or being filled
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

/// An element's attributes as libxml2's SAX2 interface hands them over; names are interned (see SaxHandler).
class SaxAttributes {
 public:
  SaxAttributes(int count, const char* const* raw) : count_(count), raw_(raw) {}
  int size() const { return count_; }
  const char* name(int i) const { return raw_[i * 5]; }
  bool has_namespace(int i) const { return raw_[i * 5 + 2] != nullptr; }
  std::string_view value(int i) const {
    return std::string_view(raw_[i * 5 + 3], static_cast<std::size_t>(raw_[i * 5 + 4] - raw_[i * 5 + 3]));
  }

 private:
  int count_;
  const char* const* raw_;
};

/// Events of a SAX parse. Element and attribute local names arrive interned in the parser's dictionary, so
/// a handler compares them by pointer with the names it asked `intern` for in `prepare`.
class SaxHandler {
 public:
  virtual ~SaxHandler() = default;
  virtual void prepare(const std::function<const char*(std::string_view)>& intern) = 0;
  virtual void start(const char* local_name, const SaxAttributes& attributes) = 0;
  virtual void end(const char* local_name) = 0;
  /// Text and CDATA, possibly in several pieces per node.
  virtual void text(std::string_view text) = 0;
  /// Set by a handler to stop the parse with this error.
  std::optional<Error> failure;
};

/// Parses a zip entry with libxml2's SAX2 push parser under the same guards as XmlStream (no network, no
/// entities, a DOCTYPE refused). Faster than the text reader for large parts (a worksheet of 100,000 rows).
std::optional<Error> parse_sax(ZipArchive& archive, std::string_view part, SaxHandler& handler);

/// Parses a non-negative decimal integer attribute; nullopt when it is not one (or is absurdly long).
std::optional<std::uint64_t> parse_count(std::string_view s);

}  // namespace veikart::adapters::spreadsheet
