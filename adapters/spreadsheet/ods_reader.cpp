#include "adapters/spreadsheet/ods_reader.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/text.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using Node = XmlStream::Node;

constexpr std::string_view table_ns = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
constexpr std::string_view office_ns = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
constexpr std::string_view text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
constexpr std::string_view drawing_ns = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";

constexpr std::string_view content_part = "content.xml";

/// Row and column positions saturate here instead of overflowing: far past any sheet, still exact enough
/// for "outside the sheet" messages.
constexpr std::uint64_t position_cap = std::uint64_t{1} << 40;

std::uint64_t add_capped(std::uint64_t a, std::uint64_t b) {
  return std::min(a + std::min(b, position_cap), position_cap);
}

std::uint64_t repeat_count(std::string_view v) {
  auto n = parse_count(v);
  return n && *n >= 1 ? std::min(*n, position_cap) : 1;
}

bool is_iso_date(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

/// One table:table-cell (or covered cell) while it is being read.
struct Cell {
  std::string value_type;
  std::string value;
  std::string date_value;
  std::string boolean_value;
  std::optional<std::string> string_value;
  std::uint64_t repeat = 1;
  std::uint64_t columns_spanned = 1;
  std::uint64_t rows_spanned = 1;
  std::string text;
  std::size_t paragraphs = 0;

  void reset() {
    value_type.clear();
    value.clear();
    date_value.clear();
    boolean_value.clear();
    string_value.reset();
    repeat = columns_spanned = rows_spanned = 1;
    text.clear();
    paragraphs = 0;
  }

  /// The cell as text, written into `out`.
  void render(std::string& out) const {
    if (value_type == "float" || value_type == "percentage" || value_type == "currency") {
      std::string_view v = trim(value);
      double number = 0;
      auto r = std::from_chars(v.data(), v.data() + v.size(), number);
      if (!v.empty() && r.ec == std::errc() && r.ptr == v.data() + v.size()) {
        format_number(v, number, out);
        return;
      }
    } else if (value_type == "date" && is_iso_date(date_value)) {
      out.assign(date_value, 0, 10);  // a date-time keeps its date
      return;
    } else if (value_type == "boolean" && (boolean_value == "true" || boolean_value == "false")) {
      out = boolean_value;
      return;
    } else if (value_type == "string" && string_value) {
      out = *string_value;
      return;
    }
    out = text;
  }
};

class TableReader {
 public:
  TableReader(XmlStream& xml, const SheetLimits& limits, SheetBuilder& builder)
      : xml_(xml), limits_(limits), builder_(builder) {}

  /// Reads from just after <table:table> to its end.
  std::optional<Error> read(int table_depth) {
    while (xml_.next()) {
      switch (xml_.node()) {
        case Node::element:
          if (auto e = on_element()) return e;
          break;
        case Node::end_element:
          if (xml_.depth() == table_depth) return std::nullopt;
          if (auto e = on_end()) return e;
          break;
        case Node::text:
          if (in_cell_ && in_paragraph_ > 0) append(xml_.text());
          break;
        case Node::other:
          break;
      }
      if (error_) return error_;
      if (builder_.error()) return builder_.error();
    }
    if (xml_.error()) return xml_.error();
    return Error{"the table ends early"};
  }

 private:
  std::optional<Error> on_element() {
    const std::string_view name = xml_.local_name();
    const std::string_view ns = xml_.namespace_uri();
    if (in_cell_) {
      if (ns == text_ns && (name == "p" || name == "h")) {
        if (cell_.paragraphs++ > 0) append("\n");
        if (!xml_.empty_element()) ++in_paragraph_;
      } else if (ns == text_ns && name == "s") {
        std::uint64_t count = 1;
        xml_.for_each_attribute([&](std::string_view a, std::string_view ans, std::string_view v) {
          if (a == "c" && ans == text_ns) count = repeat_count(v);
        });
        append(std::string(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1024)), ' '));
      } else if (ns == text_ns && name == "tab") {
        append("\t");
      } else if (ns == text_ns && name == "line-break") {
        append("\n");
      } else if ((ns == office_ns && name == "annotation") || ns == drawing_ns || (ns == table_ns && name == "table")) {
        xml_.skip();  // comments, shapes and sub-tables are not the cell's value
      }
      return std::nullopt;
    }
    if (ns != table_ns) return std::nullopt;
    if (name == "table-row") {
      row_repeat_ = 1;
      xml_.for_each_attribute([&](std::string_view a, std::string_view ans, std::string_view v) {
        if (a == "number-rows-repeated" && ans == table_ns) row_repeat_ = repeat_count(v);
      });
      row_ = next_row_;
      next_column_ = 1;
      row_has_content_ = false;
      if (xml_.empty_element()) end_row();
    } else if (name == "table-cell" || name == "covered-table-cell") {
      cell_.reset();
      xml_.for_each_attribute([&](std::string_view a, std::string_view ans, std::string_view v) {
        if (ans == office_ns) {
          if (a == "value-type") cell_.value_type = v;
          if (a == "value") cell_.value = v;
          if (a == "date-value") cell_.date_value = v;
          if (a == "boolean-value") cell_.boolean_value = v;
          if (a == "string-value") cell_.string_value = std::string(v);
        } else if (ans == table_ns) {
          if (a == "number-columns-repeated") cell_.repeat = repeat_count(v);
          if (a == "number-columns-spanned") cell_.columns_spanned = repeat_count(v);
          if (a == "number-rows-spanned") cell_.rows_spanned = repeat_count(v);
        }
      });
      cell_depth_ = xml_.depth();
      if (xml_.empty_element()) return end_cell();
      in_cell_ = true;
    }
    return std::nullopt;
  }

  std::optional<Error> on_end() {
    const std::string_view name = xml_.local_name();
    const std::string_view ns = xml_.namespace_uri();
    if (in_cell_) {
      if (xml_.depth() == cell_depth_) {
        in_cell_ = false;
        in_paragraph_ = 0;
        return end_cell();
      }
      if (ns == text_ns && (name == "p" || name == "h") && in_paragraph_ > 0) --in_paragraph_;
      return std::nullopt;
    }
    if (ns == table_ns && name == "table-row") end_row();
    return std::nullopt;
  }

  void append(std::string_view s) {
    // The builder enforces the text budget on what is kept; this stops one absurd cell before it gets there.
    if (cell_.text.size() + s.size() > limits_.max_text_bytes) {
      if (!error_)
        error_ = Error{"a cell holds more than " + std::to_string(limits_.max_text_bytes >> 20) + " MiB of text"};
      return;
    }
    cell_.text.append(s);
  }

  std::optional<Error> end_cell() {
    const std::uint64_t column = next_column_;
    next_column_ = add_capped(next_column_, cell_.repeat);
    cell_.render(value_);
    if (!value_.empty()) {
      row_has_content_ = true;
      // A huge repeat stops at the builder's column limit, one step past the last column.
      for (std::uint64_t c = column; c < column + cell_.repeat; ++c) {
        if (!builder_.set(row_, c, value_)) return builder_.error();
      }
    }
    if (cell_.columns_spanned > 1 || cell_.rows_spanned > 1) {
      if (!builder_.add_merge(row_, column, add_capped(row_, cell_.rows_spanned - 1),
                              add_capped(column, cell_.columns_spanned - 1))) {
        return builder_.error();
      }
    }
    return std::nullopt;
  }

  void end_row() {
    if (row_has_content_ && row_repeat_ > 1) {
      builder_.repeat_row(row_, std::min<std::uint64_t>(row_repeat_ - 1, limits_.max_rows + 1));
    }
    next_row_ = add_capped(row_, row_repeat_);
  }

  XmlStream& xml_;
  const SheetLimits& limits_;
  SheetBuilder& builder_;
  Cell cell_;
  std::string value_;
  bool in_cell_ = false;
  int cell_depth_ = 0;
  int in_paragraph_ = 0;
  std::uint64_t row_ = 1, next_row_ = 1, row_repeat_ = 1, next_column_ = 1;
  bool row_has_content_ = false;
  std::optional<Error> error_;
};

}  // namespace

Expected<Sheet> read_ods(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
  auto zip = ZipArchive::open(bytes, limits.zip);
  if (!zip) return zip.error();
  if (auto m = zip->find("mimetype"); m && zip->entries()[*m].size < 200) {
    auto mimetype = zip->read("mimetype");
    if (!mimetype) return mimetype.error();
    const std::string_view type = trim(*mimetype);
    if (type != "application/vnd.oasis.opendocument.spreadsheet" &&
        type != "application/vnd.oasis.opendocument.spreadsheet-template") {
      return Error{"not an ODS spreadsheet: the mimetype is '" + std::string(type.substr(0, 80)) + "'"};
    }
  }
  if (!zip->contains(content_part)) return Error{"not an ODS spreadsheet: content.xml is missing"};
  auto xml = XmlStream::open(*zip, content_part);
  if (!xml) return xml.error();

  SheetBuilder builder(limits);
  Sheet sheet;
  bool found = false;
  const std::string wanted = choice.name ? fold(*choice.name) : std::string();
  while (xml->next()) {
    if (xml->node() != Node::element || xml->local_name() != "table" || xml->namespace_uri() != table_ns) continue;
    std::string name;
    xml->for_each_attribute([&](std::string_view a, std::string_view ns, std::string_view v) {
      if (a == "name" && ns == table_ns) name = v;
    });
    sheet.all_names.push_back(name);
    const std::size_t position = sheet.all_names.size();
    bool chosen = false;
    if (!found) {
      if (choice.index) {
        chosen = position == *choice.index;
      } else if (choice.name) {
        chosen = fold(name) == wanted;
      } else {
        chosen = true;
      }
    }
    if (!chosen) {
      xml->skip();
      continue;
    }
    found = true;
    sheet.name = name;
    sheet.index = position;
    if (xml->empty_element()) continue;
    TableReader reader(*xml, limits, builder);
    if (auto error = reader.read(xml->depth())) {
      return Error{std::string(content_part) + ": table " + name.substr(0, 80) + ": " + error->message};
    }
  }
  if (xml->error()) return *xml->error();
  if (!found) {
    auto index = choose_sheet(sheet.all_names, choice);  // for its message
    return index ? Error{"the spreadsheet has no such table"} : index.error();
  }
  auto rows = builder.finish();
  if (!rows) return Error{std::string(content_part) + ": " + rows.error().message};
  sheet.rows = std::move(*rows);
  return sheet;
}

}  // namespace veikart::adapters::spreadsheet
