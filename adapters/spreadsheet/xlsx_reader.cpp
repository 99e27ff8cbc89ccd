#include "adapters/spreadsheet/xlsx_reader.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

#include "adapters/common/dates.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

using Node = XmlStream::Node;

std::string quote(std::string_view s) { return "'" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...'" : "'"); }

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

std::string folder_of(std::string_view part) {
  auto slash = part.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

/// A relationship target against the folder of the part that names it; "/xl/x.xml" is package-absolute.
std::string resolve_target(std::string_view folder, std::string_view target) {
  std::string joined = !target.empty() && target.front() == '/' ? std::string(target.substr(1))
                                                                : std::string(folder) + std::string(target);
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    std::string seg = joined.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(std::move(seg));
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& s : segments) out += (out.empty() ? "" : "/") + s;
  return out;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

/// OOXML writes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_); a literal "_x" is
/// itself escaped as _x005F_x.
void decode_escapes(std::string& s) {
  if (s.find("_x") == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned cp = 0;
    if (s[i] == '_' && i + 6 < s.size() && s[i + 1] == 'x' && s[i + 6] == '_' &&
        std::from_chars(s.data() + i + 2, s.data() + i + 6, cp, 16).ptr == s.data() + i + 6) {
      append_utf8(out, cp);
      i += 7;
    } else {
      out.push_back(s[i++]);
    }
  }
  s = std::move(out);
}

/// "C7" → row 7, column 3 (1-based).
bool parse_ref(std::string_view ref, std::uint64_t& row, std::uint64_t& column) {
  std::size_t i = 0;
  column = 0;
  while (i < ref.size() && i < 4 && ((ref[i] >= 'A' && ref[i] <= 'Z') || (ref[i] >= 'a' && ref[i] <= 'z'))) {
    column = column * 26 + static_cast<std::uint64_t>((ref[i] | 0x20) - 'a' + 1);
    ++i;
  }
  if (i == 0) return false;
  auto r = parse_count(ref.substr(i));
  if (!r || *r == 0) return false;
  row = *r;
  return true;
}

bool is_iso_date(std::string_view s) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

struct Relationship {
  std::string type;
  std::string target;  // resolved to an entry name
};

Expected<std::map<std::string, Relationship>> read_relationships(ZipArchive& zip, const std::string& rels_part,
                                                                 const std::string& folder) {
  std::map<std::string, Relationship> out;
  if (!zip.contains(rels_part)) return out;
  auto xml = XmlStream::open(zip, rels_part);
  if (!xml) return xml.error();
  while (xml->next()) {
    if (xml->node() != Node::element || xml->local_name() != "Relationship") continue;
    std::string id, type, target;
    bool external = false;
    xml->for_each_attribute([&](std::string_view name, std::string_view, std::string_view value) {
      if (name == "Id") id = value;
      if (name == "Type") type = value;
      if (name == "Target") target = value;
      if (name == "TargetMode") external = value == "External";
    });
    if (!external && !id.empty()) out[id] = Relationship{type, resolve_target(folder, target)};
  }
  if (xml->error()) return *xml->error();
  return out;
}

struct WorkbookInfo {
  std::vector<std::string> names;
  std::vector<std::string> relationship_ids;
  bool date1904 = false;
};

Expected<WorkbookInfo> read_workbook(ZipArchive& zip, const std::string& part) {
  auto xml = XmlStream::open(zip, part);
  if (!xml) return xml.error();
  WorkbookInfo info;
  while (xml->next()) {
    if (xml->node() != Node::element) continue;
    const std::string_view name = xml->local_name();
    if (name == "workbookPr") {
      xml->for_each_attribute([&](std::string_view a, std::string_view, std::string_view v) {
        if (a == "date1904") info.date1904 = v == "1" || v == "true";
      });
    } else if (name == "sheet") {
      std::string sheet_name, rid;
      xml->for_each_attribute([&](std::string_view a, std::string_view ns, std::string_view v) {
        if (a == "name" && ns.empty()) sheet_name = v;
        if (a == "id" && !ns.empty()) rid = v;  // r:id, in the relationships namespace
      });
      info.names.push_back(std::move(sheet_name));
      info.relationship_ids.push_back(std::move(rid));
    } else if (name == "extLst") {
      xml->skip();
    }
  }
  if (xml->error()) return *xml->error();
  return info;
}

Expected<std::vector<std::string>> read_shared_strings(ZipArchive& zip, const std::string& part,
                                                       const SheetLimits& limits) {
  std::vector<std::string> strings;
  auto xml = XmlStream::open(zip, part);
  if (!xml) return xml.error();
  std::string current;
  bool in_si = false, in_t = false;
  std::size_t bytes = 0;
  while (xml->next()) {
    switch (xml->node()) {
      case Node::element: {
        const std::string_view name = xml->local_name();
        if (name == "si") {
          current.clear();
          in_si = !xml->empty_element();
          if (!in_si) strings.emplace_back();
        } else if (name == "t" && in_si) {
          in_t = !xml->empty_element();
        } else if (name == "rPh" || name == "phoneticPr") {
          xml->skip();  // phonetic guides repeat the text in another script
        }
        break;
      }
      case Node::text:
        if (in_t) current += xml->text();
        break;
      case Node::end_element: {
        const std::string_view name = xml->local_name();
        if (name == "t") {
          in_t = false;
        } else if (name == "si" && in_si) {
          in_si = false;
          decode_escapes(current);
          bytes += current.size();
          strings.push_back(current);
        }
        break;
      }
      case Node::other:
        break;
    }
    if (strings.size() > limits.max_cells || bytes > limits.max_text_bytes) {
      return Error{part + ": more shared strings than a sheet may hold"};
    }
  }
  if (xml->error()) return *xml->error();
  return strings;
}

/// Per cell style (xf) index: whether its number format shows a date.
Expected<std::vector<bool>> read_date_styles(ZipArchive& zip, const std::string& part) {
  std::map<std::uint64_t, bool> custom;
  std::vector<std::uint64_t> xf_formats;
  auto xml = XmlStream::open(zip, part);
  if (!xml) return xml.error();
  bool in_cell_xfs = false;
  while (xml->next()) {
    if (xml->node() == Node::end_element && xml->local_name() == "cellXfs") in_cell_xfs = false;
    if (xml->node() != Node::element) continue;
    const std::string_view name = xml->local_name();
    if (name == "numFmt") {
      std::optional<std::uint64_t> id;
      std::string code;
      xml->for_each_attribute([&](std::string_view a, std::string_view, std::string_view v) {
        if (a == "numFmtId") id = parse_count(v);
        if (a == "formatCode") code = v;
      });
      if (id) custom[*id] = is_date_format(code);
    } else if (name == "cellXfs") {
      in_cell_xfs = !xml->empty_element();
    } else if (name == "xf" && in_cell_xfs) {
      std::uint64_t format = 0;
      xml->for_each_attribute([&](std::string_view a, std::string_view, std::string_view v) {
        if (a == "numFmtId") format = parse_count(v).value_or(0);
      });
      xf_formats.push_back(format);
      if (xf_formats.size() > 1'000'000) return Error{part + ": too many cell styles"};
    } else if (name == "extLst" || name == "dxfs") {
      xml->skip();
    }
  }
  if (xml->error()) return *xml->error();
  std::vector<bool> dates;
  dates.reserve(xf_formats.size());
  for (std::uint64_t id : xf_formats) {
    auto it = custom.find(id);
    // Built-in formats 14-22 are dates and date-times, 45-47 times.
    dates.push_back(it != custom.end() ? it->second : (id >= 14 && id <= 22) || (id >= 45 && id <= 47));
  }
  return dates;
}

enum class CellType { number, shared, inline_string, formula_string, boolean, error, date };

CellType cell_type(std::string_view t) {
  if (t == "s") return CellType::shared;
  if (t == "inlineStr") return CellType::inline_string;
  if (t == "str") return CellType::formula_string;
  if (t == "b") return CellType::boolean;
  if (t == "e") return CellType::error;
  if (t == "d") return CellType::date;
  return CellType::number;
}

/// Streams one worksheet into the builder with libxml2's SAX2 interface: element and attribute names are
/// compared as interned pointers, and each cell's text goes straight from the parser into the builder.
class WorksheetReader final : public SaxHandler {
 public:
  WorksheetReader(const std::string& part, const std::vector<std::string>& strings,
                  const std::vector<bool>& date_styles, bool date1904, SheetBuilder& builder)
      : part_(part), strings_(strings), date_styles_(date_styles), date1904_(date1904), builder_(builder) {}

  /// Called at each row element of the sheet data; returning false stops the read.
  std::function<bool()> on_row;

  void prepare(const std::function<const char*(std::string_view)>& intern) override {
    c_ = intern("c");
    v_ = intern("v");
    is_ = intern("is");
    t_ = intern("t");
    row_ = intern("row");
    sheet_data_ = intern("sheetData");
    merge_cell_ = intern("mergeCell");
    r_ = intern("r");
    s_ = intern("s");
    ref_ = intern("ref");
    // Nothing in these changes a cell's value.
    for (const char* name : {"f", "rPh", "extLst", "sheetViews", "cols", "conditionalFormatting", "dataValidations"})
      skipped_.push_back(intern(name));
  }

  void start(const char* name, const SaxAttributes& attributes) override {
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return;
    }
    if (name == c_ && in_sheet_data_) {
      type_ = CellType::number;
      style_ = 0;
      bool has_ref = false;
      for (int i = 0; i < attributes.size(); ++i) {
        if (attributes.has_namespace(i)) continue;
        const char* a = attributes.name(i);
        if (a == r_) {
          has_ref = true;
          if (!parse_ref(attributes.value(i), row_number_, column_)) {
            failure = Error{part_ + ": row " + std::to_string(row_number_) + ": bad cell reference"};
            return;
          }
        } else if (a == t_) {
          type_ = cell_type(attributes.value(i));
        } else if (a == s_) {
          style_ = parse_count(attributes.value(i)).value_or(0);
        }
      }
      if (!has_ref) ++column_;  // cells without a reference follow the previous one
      value_.clear();
      in_cell_ = true;
    } else if (name == v_ && in_cell_) {
      in_v_ = true;
    } else if (name == is_ && in_cell_) {
      in_is_ = true;
    } else if (name == t_ && in_is_) {
      in_t_ = true;
    } else if (name == row_ && in_sheet_data_) {
      if (on_row && !on_row()) {
        failure = Error{part_ + ": stopped"};
        return;
      }
      std::optional<std::uint64_t> r;
      for (int i = 0; i < attributes.size(); ++i) {
        if (attributes.name(i) == r_ && !attributes.has_namespace(i)) r = parse_count(attributes.value(i));
      }
      row_number_ = r && *r > 0 ? *r : row_number_ + 1;
      column_ = 0;
    } else if (name == sheet_data_) {
      in_sheet_data_ = true;
    } else if (name == merge_cell_) {
      std::string_view ref;
      for (int i = 0; i < attributes.size(); ++i) {
        if (attributes.name(i) == ref_ && !attributes.has_namespace(i)) ref = attributes.value(i);
      }
      const auto colon = ref.find(':');
      std::uint64_t r1 = 0, c1 = 0, r2 = 0, c2 = 0;
      if (colon != std::string_view::npos && parse_ref(ref.substr(0, colon), r1, c1) &&
          parse_ref(ref.substr(colon + 1), r2, c2)) {
        if (!builder_.add_merge(r1, c1, r2, c2)) failure = Error{part_ + ": " + builder_.error()->message};
      }
    } else if (std::find(skipped_.begin(), skipped_.end(), name) != skipped_.end()) {
      skip_depth_ = 1;
    }
  }

  void end(const char* name) override {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return;
    }
    if (name == v_) {
      in_v_ = false;
    } else if (name == t_) {
      in_t_ = false;
    } else if (name == is_) {
      in_is_ = false;
    } else if (name == sheet_data_) {
      in_sheet_data_ = false;
    } else if (name == c_ && in_cell_) {
      in_cell_ = in_v_ = in_is_ = in_t_ = false;
      end_cell();
    }
  }

  void text(std::string_view text) override {
    if (skip_depth_ == 0 && (in_v_ || in_t_)) value_ += text;
  }

 private:
  void fail_cell(std::string message) {
    failure = Error{part_ + ": cell " + column_letters(static_cast<std::size_t>(column_ ? column_ - 1 : 0)) +
                    std::to_string(row_number_) + ": " + message};
  }

  void end_cell() {
    const std::string* out = &output_;
    switch (type_) {
      case CellType::shared: {
        if (value_.empty()) return;
        auto index = parse_count(value_);
        if (!index || *index >= strings_.size()) return fail_cell("no shared string " + quote(value_));
        out = &strings_[static_cast<std::size_t>(*index)];
        break;
      }
      case CellType::inline_string:
        decode_escapes(value_);
        out = &value_;
        break;
      case CellType::formula_string:
      case CellType::error:
        out = &value_;
        break;
      case CellType::boolean:
        output_ = value_ == "1" || value_ == "true" ? "true" : value_ == "0" || value_ == "false" ? "false" : value_;
        break;
      case CellType::date:
        output_ = is_iso_date(value_) ? value_.substr(0, 10) : value_;
        break;
      case CellType::number: {
        std::string_view v = trim(value_);
        double number = 0;
        auto r = std::from_chars(v.data(), v.data() + v.size(), number);
        if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
          out = &value_;  // not a number after all: keep what the file says
          break;
        }
        const bool is_date = style_ < date_styles_.size() && date_styles_[static_cast<std::size_t>(style_)];
        std::optional<std::string> date;
        if (is_date && std::isfinite(number) && std::fabs(number) < 1e7) {
          // Excel keeps times to the millisecond; round there so 23:59:59.9996 is the next day, as shown.
          const auto ms = std::llround(number * 86'400'000.0);
          const long long day = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
          // Times alone (day 0 in the 1900 system) are not dates; they stay numbers.
          date = excel_serial_date(day, date1904_);
        }
        if (date) {
          output_ = std::move(*date);
        } else {
          format_number(v, number, output_);
        }
        break;
      }
    }
    if (!builder_.set(row_number_, column_, *out)) failure = Error{part_ + ": " + builder_.error()->message};
  }

  const std::string& part_;
  const std::vector<std::string>& strings_;
  const std::vector<bool>& date_styles_;
  const bool date1904_;
  SheetBuilder& builder_;

  const char *c_ = nullptr, *v_ = nullptr, *is_ = nullptr, *t_ = nullptr, *row_ = nullptr, *sheet_data_ = nullptr,
             *merge_cell_ = nullptr, *r_ = nullptr, *s_ = nullptr, *ref_ = nullptr;
  std::vector<const char*> skipped_;
  int skip_depth_ = 0;
  bool in_sheet_data_ = false, in_cell_ = false, in_v_ = false, in_is_ = false, in_t_ = false;
  std::uint64_t row_number_ = 0, column_ = 0;
  CellType type_ = CellType::number;
  std::uint64_t style_ = 0;
  std::string value_;   // the cell's <v> or inline text
  std::string output_;  // what goes into the row, reused to spare allocations
};

}  // namespace

bool is_date_format(std::string_view code) {
  bool date = false, elapsed = false;
  for (std::size_t i = 0; i < code.size(); ++i) {
    const char c = code[i];
    if (c == '"') {
      const auto end = code.find('"', i + 1);
      if (end == std::string_view::npos) break;
      i = end;
    } else if (c == '[') {
      const auto end = code.find(']', i + 1);
      if (end == std::string_view::npos) break;
      const std::string_view inside = code.substr(i + 1, end - i - 1);
      if (!inside.empty() && inside.find_first_not_of("hHmMsS") == std::string_view::npos) elapsed = true;
      i = end;
    } else if (c == '\\' || c == '_' || c == '*') {
      ++i;  // an escaped literal, a padding width or a fill character
    } else if (c == 'd' || c == 'D' || c == 'm' || c == 'M' || c == 'y' || c == 'Y' || c == 'h' || c == 'H') {
      date = true;
    }
  }
  return date && !elapsed;
}

namespace {

/// Everything about the chosen sheet that is read before its rows: the small parts, parsed on the calling thread.
struct PreparedSheet {
  ZipArchive zip;
  std::string part;
  std::uint64_t part_bytes = 0;  // inflated, as the archive declares it
  std::vector<std::string> strings;
  std::vector<bool> date_styles;
  WorkbookInfo info;
  std::size_t index = 0;
};

Expected<PreparedSheet> prepare_sheet(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
  auto zip = ZipArchive::open(bytes, limits.zip);
  if (!zip) return zip.error();

  std::string workbook_part = "xl/workbook.xml";
  {
    auto package = read_relationships(*zip, "_rels/.rels", "");
    if (!package) return package.error();
    for (const auto& [id, rel] : *package) {
      if (ends_with(rel.type, "/officeDocument") && zip->contains(rel.target)) workbook_part = rel.target;
    }
  }
  if (!zip->contains(workbook_part)) return Error{"not an XLSX workbook: " + workbook_part + " is missing"};
  const std::string folder = folder_of(workbook_part);
  auto info = read_workbook(*zip, workbook_part);
  if (!info) return info.error();
  auto rels = read_relationships(*zip, folder + "_rels/" + workbook_part.substr(folder.size()) + ".rels", folder);
  if (!rels) return rels.error();

  auto chosen = choose_sheet(info->names, choice);
  if (!chosen) return chosen.error();
  const std::size_t index = *chosen;

  std::string sheet_part, strings_part, styles_part;
  for (const auto& [id, rel] : *rels) {
    if (id == info->relationship_ids[index]) sheet_part = rel.target;
    if (ends_with(rel.type, "/sharedStrings")) strings_part = rel.target;
    if (ends_with(rel.type, "/styles")) styles_part = rel.target;
  }
  // Writers that skip the relationships still use the conventional names.
  if (sheet_part.empty()) sheet_part = folder + "worksheets/sheet" + std::to_string(index + 1) + ".xml";
  if (strings_part.empty()) strings_part = folder + "sharedStrings.xml";
  if (styles_part.empty()) styles_part = folder + "styles.xml";
  const auto entry = zip->find(sheet_part);
  if (!entry) return Error{"sheet " + quote(info->names[index]) + ": " + sheet_part + " is missing"};

  PreparedSheet out{std::move(*zip), sheet_part, 0, {}, {}, std::move(*info), index};
  out.part_bytes = out.zip.entries()[*entry].size;
  if (out.zip.contains(strings_part)) {
    auto s = read_shared_strings(out.zip, strings_part, limits);
    if (!s) return s.error();
    out.strings = std::move(*s);
  }
  if (out.zip.contains(styles_part)) {
    auto s = read_date_styles(out.zip, styles_part);
    if (!s) return s.error();
    out.date_styles = std::move(*s);
  }
  return out;
}

/// Reads the whole sheet part, then merges and sorts its rows.
Expected<SheetRows> read_rows_whole(PreparedSheet& sheet, const SheetLimits& limits) {
  SheetBuilder builder(limits);
  WorksheetReader reader(sheet.part, sheet.strings, sheet.date_styles, sheet.info.date1904, builder);
  if (auto error = parse_sax(sheet.zip, sheet.part, reader)) return *error;
  auto rows = builder.finish_rows();
  if (!rows) return Error{sheet.part + ": " + rows.error().message};
  return std::move(*rows);
}

/// A quick scan of a worksheet part's bytes, fed in pieces: does anything force reading the whole sheet before
/// handing out rows? That is a `mergeCell` element (merges come after the rows and fill rows already read), or a
/// cell whose row is below one already seen (rows are sorted and joined at the end). The scan follows the row
/// numbers as the worksheet reader does (a row's `r`, else the previous row plus one; a cell's `r`), but looks at
/// every `row` and `c` element wherever it is, and at empty cells too, so it may ask for a whole read when none
/// was needed, never the other way round. Anything it cannot read (another encoding, a reference it cannot
/// parse, an endless tag) asks for a whole read; the worksheet reader stays the judge of what the sheet says.
class SheetScanner {
 public:
  /// False once the sheet must be read whole.
  bool feed(std::string_view chunk) {
    if (whole_) return false;
    if (!checked_start_) {
      if (!check_start(chunk)) return !(whole_ = true);
    }
    // A tag cut by the last piece's end is completed from this piece's start, one '>' at a time ('>' may stand in
    // an attribute value), without copying the whole piece.
    while (!carry_.empty() && !whole_) {
      const std::size_t gt = chunk.find('>');
      if (gt == std::string_view::npos) {
        carry_.append(chunk);
        if (carry_.size() > max_tag_bytes) whole_ = true;
        return !whole_;
      }
      carry_.append(chunk.substr(0, gt + 1));
      chunk.remove_prefix(gt + 1);
      std::string joined = std::move(carry_);
      carry_.clear();
      scan(joined);
      // Defensive: the joined bytes end at a '>', so no new tag can have begun in them; if one did, read whole.
      if (!carry_.empty() && carry_.size() != joined.size()) whole_ = true;
      if (carry_.size() > max_tag_bytes) whole_ = true;
    }
    if (!whole_) scan(chunk);
    if (carry_.size() > max_tag_bytes) whole_ = true;
    return !whole_;
  }
  /// The verdict once every byte was fed.
  bool in_order() const { return !whole_ && carry_.empty() && checked_start_; }

 private:
  static constexpr std::size_t max_tag_bytes = 1u << 20;

  /// Markup must be ASCII-compatible for a byte scan: a UTF-16 or UTF-32 part (NUL bytes, a UTF-16 byte order
  /// mark) or one not starting with '<' is left to the reader.
  bool check_start(std::string_view chunk) {
    std::string_view s = chunk.substr(0, 512);
    if (s.size() < 4 && s.size() < chunk.size()) return true;  // decide on a longer piece
    checked_start_ = true;
    if (s.find('\0') != std::string_view::npos) return false;
    if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
      s.remove_prefix(1);
    }
    return !s.empty() && s.front() == '<';
  }

  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

  void scan(std::string_view buf) {
    std::size_t i = 0;
    while (!whole_) {
      const void* lt = std::memchr(buf.data() + i, '<', buf.size() - i);
      if (lt == nullptr) return;
      const std::size_t start = static_cast<std::size_t>(static_cast<const char*>(lt) - buf.data());
      const std::size_t end = tag(buf, start);
      if (end == std::string_view::npos) {
        carry_.assign(buf.substr(start));
        return;
      }
      i = end;
    }
  }

  /// Reads the tag at `start` (a '<'); returns where to go on, or npos when the buffer ends inside it.
  std::size_t tag(std::string_view b, std::size_t start) {
    std::size_t q = start + 1;
    if (q >= b.size()) return std::string_view::npos;
    if (b[q] == '/' || b[q] == '?' || b[q] == '!') return q;  // end tags, declarations, comments
    std::size_t name_end = q;
    while (name_end < b.size() && !is_space(b[name_end]) && b[name_end] != '/' && b[name_end] != '>') ++name_end;
    if (name_end >= b.size()) return std::string_view::npos;
    std::string_view name = b.substr(q, name_end - q);
    if (auto colon = name.rfind(':'); colon != std::string_view::npos) name.remove_prefix(colon + 1);
    // A sheet has millions of tags; comparing by length and characters keeps this loop free of library calls.
    const std::size_t n = name.size();
    const bool cell = n == 1 && name[0] == 'c';
    const bool row = n == 3 && name[0] == 'r' && name[1] == 'o' && name[2] == 'w';
    if ((n == 9 || n == 10) && name[0] == 'm' && name.substr(0, 9) == "mergeCell" && (n == 9 || name[9] == 's')) {
      whole_ = true;
      return name_end;
    }
    if (!row && !cell) return name_end;  // '<' cannot occur inside attribute values
    std::optional<std::string_view> r;
    std::size_t p = name_end;
    for (;;) {
      while (p < b.size() && is_space(b[p])) ++p;
      if (p >= b.size()) return std::string_view::npos;
      if (b[p] == '>' || b[p] == '/') break;
      const std::size_t attr = p;
      while (p < b.size() && b[p] != '=' && !is_space(b[p]) && b[p] != '>') ++p;
      const std::string_view attr_name = b.substr(attr, p - attr);
      while (p < b.size() && is_space(b[p])) ++p;
      if (p >= b.size()) return std::string_view::npos;
      if (b[p] != '=') {
        whole_ = true;  // not well-formed: the reader will say so
        return p;
      }
      ++p;
      while (p < b.size() && is_space(b[p])) ++p;
      if (p >= b.size()) return std::string_view::npos;
      const char quote_char = b[p];
      if (quote_char != '"' && quote_char != '\'') {
        whole_ = true;
        return p;
      }
      const std::size_t close = b.find(quote_char, p + 1);
      if (close == std::string_view::npos) return std::string_view::npos;
      if (attr_name.size() == 1 && attr_name[0] == 'r') r = b.substr(p + 1, close - p - 1);
      p = close + 1;
    }
    if (row) {
      const auto n = r ? parse_count(*r) : std::nullopt;
      row_ = n && *n > 0 ? *n : row_ + 1;
    } else {
      if (r) {
        std::uint64_t column = 0;
        if (!parse_ref(*r, row_, column)) {
          whole_ = true;
          return p;
        }
      }
      if (!any_ || row_ > max_) {
        any_ = true;
        max_ = row_;
      } else if (row_ != max_) {
        whole_ = true;  // below a row already seen
      }
    }
    return p;
  }

  std::string carry_;  // an unfinished tag at the end of the last piece
  bool checked_start_ = false;
  bool whole_ = false;
  bool any_ = false;
  std::uint64_t row_ = 0;  // as the worksheet reader would number the current row
  std::uint64_t max_ = 0;  // the highest row a cell was seen in
};

}  // namespace

// ---- XlsxRowReader ----

struct XlsxRowReader::State {
  State(std::string_view b, const SheetLimits& l, PreparedSheet s) : bytes(b), limits(l), sheet(std::move(s)) {}

  std::string_view bytes;
  SheetLimits limits;
  PreparedSheet sheet;

  // The rows being handed out, and where in them the caller is.
  SheetRows current;
  std::size_t position = 0;
  CsvRow buffer;
  bool finished = false;
  std::optional<Error> error;

  // Worker threads (only when the part is large); guarded by `mutex`.
  enum class Verdict { unknown, stream, whole };
  static constexpr std::size_t block_rows = 1024;
  static constexpr std::size_t max_blocks = 4;
  /// While the scan has not spoken the reader reads at most `max_blocks` ahead, then waits for the verdict: it
  /// does not hold the sheet, and it leaves the cores to the scan, which the mapping caller waits for. Measured
  /// on the benchmark workbook, four blocks ahead finished sooner than sixteen or none.
  std::size_t blocks_before_verdict = 0;
  bool threaded = false;
  std::mutex mutex;
  std::condition_variable changed;
  Verdict verdict = Verdict::unknown;
  std::deque<SheetRows> blocks;
  std::vector<SheetRows> spare_blocks;  // blocks the caller is done with, for the reader to fill again
  bool done = false;                    // the reader thread has handed over everything it will
  std::optional<Error> worker_error;
  std::atomic<bool> stop{false};
  std::thread scanner, reader;

  // The scan: the scanner thread inflates the part in pieces and queues them, and the pieces are fed to the
  // SheetScanner in order by whichever thread is free: the caller while it waits for the verdict (it has nothing
  // else to do then), else the scanner thread itself when the queue is full or the part has ended. So the
  // inflating and the scanning, which the mapping caller waits for, share the cores.
  static constexpr std::size_t piece_bytes = 256u << 10;
  static constexpr std::size_t max_pieces = 4;
  std::deque<std::string> pieces;         // inflated, not yet scanned; guarded by `mutex`
  std::vector<std::string> spare_pieces;  // buffers to reuse; guarded by `mutex`
  std::mutex feed_mutex;                  // held while a piece is taken and fed, so that pieces go in order;
                                          // never taken while `mutex` is held
  SheetScanner scan_state;                // guarded by feed_mutex
  bool scan_gave_up = false;              // guarded by feed_mutex: the sheet must be read whole

  ~State() {
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    changed.notify_all();
    if (scanner.joinable()) scanner.join();
    if (reader.joinable()) reader.join();
  }

  /// Sets the verdict unless it was set already.
  void settle(Verdict v) {
    {
      std::lock_guard lock(mutex);
      if (verdict == Verdict::unknown) verdict = v;
    }
    changed.notify_all();
  }

  /// Feeds the oldest queued piece to the scan; false when none was queued.
  bool scan_piece() {
    std::lock_guard feed(feed_mutex);
    std::string piece;
    {
      std::lock_guard lock(mutex);
      if (pieces.empty()) return false;
      piece = std::move(pieces.front());
      pieces.pop_front();
    }
    if (!scan_gave_up) {
      bool fed = false;
      try {
        fed = scan_state.feed(piece);
      } catch (const std::exception&) {
        // memory ran out: the sheet is simply read whole
      }
      if (!fed) {
        scan_gave_up = true;
        settle(Verdict::whole);  // nothing more to learn
      }
    }
    std::lock_guard lock(mutex);
    spare_pieces.push_back(std::move(piece));
    return true;
  }

  /// On the scanner thread: inflates the part into the queue and settles the verdict.
  void scan() {
    auto zip = ZipArchive::open(bytes, limits.zip);
    if (!zip) return settle(Verdict::whole);
    // The reader thread reads the part checked; this pass only looks at its bytes.
    auto entry = zip->open_entry(sheet.part, ZipArchive::Check::none);
    if (!entry) return settle(Verdict::whole);
    while (!stop) {
      std::string piece;
      {
        std::unique_lock lock(mutex);
        if (verdict != Verdict::unknown) return;  // the scan gave up: read whole
        if (!spare_pieces.empty()) {
          piece = std::move(spare_pieces.back());
          spare_pieces.pop_back();
        } else if (pieces.size() >= max_pieces) {
          lock.unlock();
          scan_piece();  // nobody else does: make room
          continue;
        }
      }
      piece.resize(piece_bytes);
      auto n = entry->read(piece.data(), piece.size());
      if (!n) return settle(Verdict::whole);  // the reader meets the same error and reports it
      if (*n == 0) {
        while (scan_piece()) {
        }
        std::lock_guard feed(feed_mutex);  // waits for a piece the caller may still be feeding
        return settle(!scan_gave_up && scan_state.in_order() ? Verdict::stream : Verdict::whole);
      }
      piece.resize(*n);
      {
        std::lock_guard lock(mutex);
        pieces.push_back(std::move(piece));
      }
      changed.notify_all();  // the caller may scan it
    }
    settle(Verdict::whole);  // stopped
  }

  /// On the reader thread: hands the rows read so far over when they may be (`last`: the part is read).
  bool hand_over(SheetBuilder& builder, bool last) {
    std::unique_lock lock(mutex);
    if (last || (verdict == Verdict::unknown && ++blocks_before_verdict >= max_blocks)) {
      changed.wait(lock, [&] { return verdict != Verdict::unknown || stop; });
    }
    if (stop) return false;
    if (verdict == Verdict::unknown) return true;  // keep the rows until the scan has spoken
    if (verdict == Verdict::whole) {
      if (!last) return true;
      lock.unlock();
      auto rows = builder.finish_rows();
      lock.lock();
      if (!rows) {
        worker_error = Error{sheet.part + ": " + rows.error().message};
      } else {
        blocks.push_back(std::move(*rows));
      }
      return true;
    }
    lock.unlock();
    if (!builder.in_order() || builder.has_merges()) {
      // The scan rules both out before any row is handed over; this guards against the two disagreeing.
      lock.lock();
      worker_error = Error{sheet.part + ": rows out of order or merged after they were read"};
      return false;
    }
    SheetRows spare;
    {
      std::lock_guard spare_lock(mutex);
      if (!spare_blocks.empty()) {
        spare = std::move(spare_blocks.back());
        spare_blocks.pop_back();
      }
    }
    SheetRows block = builder.take_rows(std::move(spare));
    lock.lock();
    changed.wait(lock, [&] { return blocks.size() < max_blocks || stop; });
    if (stop) return false;
    if (block.size() > 0) blocks.push_back(std::move(block));
    lock.unlock();
    changed.notify_all();
    return true;
  }

  void read() {
    SheetBuilder builder(limits);
    WorksheetReader handler(sheet.part, sheet.strings, sheet.date_styles, sheet.info.date1904, builder);
    std::size_t since = 0;
    handler.on_row = [&] {
      if (++since < block_rows) return true;
      since = 0;
      return hand_over(builder, false);
    };
    std::optional<Error> error = parse_sax(sheet.zip, sheet.part, handler);
    if (!error && !stop) {
      if (builder.error()) {
        error = Error{sheet.part + ": " + builder.error()->message};
      } else {
        hand_over(builder, true);
      }
    }
    {
      std::lock_guard lock(mutex);
      if (error && !worker_error) worker_error = std::move(error);
      done = true;
    }
    changed.notify_all();
  }

  /// Runs the scan; if it throws (memory running out), the sheet is simply read whole.
  void scan_guarded() {
    try {
      scan();
    } catch (const std::exception&) {
      settle(Verdict::whole);
    }
  }

  /// Runs the read; what it throws ends the rows with an error instead of ending the process.
  void read_guarded() {
    try {
      read();
    } catch (const std::exception& e) {
      {
        std::lock_guard lock(mutex);
        if (!worker_error) worker_error = Error{sheet.part + ": " + e.what()};
        done = true;
      }
      changed.notify_all();
    }
  }

  /// On the caller's thread: the next block, false at the end. While there is none and the scan has not
  /// spoken, the caller scans queued pieces.
  bool next_block() {
    std::unique_lock lock(mutex);
    for (;;) {
      if (!blocks.empty()) {
        if (spare_blocks.size() < max_blocks) spare_blocks.push_back(std::move(current));
        current = std::move(blocks.front());
        blocks.pop_front();
        position = 0;
        lock.unlock();
        changed.notify_all();
        return true;
      }
      if (done) {
        if (worker_error) error = worker_error;
        return false;
      }
      if (verdict == Verdict::unknown && !pieces.empty()) {
        lock.unlock();
        scan_piece();
        lock.lock();
        continue;
      }
      changed.wait(lock);  // for a block, the end, the verdict or a piece
    }
  }
};

XlsxRowReader::XlsxRowReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
XlsxRowReader::~XlsxRowReader() = default;

Expected<std::unique_ptr<XlsxRowReader>> XlsxRowReader::open(std::string_view bytes, const SheetChoice& choice,
                                                             const SheetLimits& limits,
                                                             std::uint64_t threads_from_bytes) {
  auto sheet = prepare_sheet(bytes, choice, limits);
  if (!sheet) return sheet.error();
  auto state = std::make_unique<State>(bytes, limits, std::move(*sheet));
  if (state->sheet.part_bytes < threads_from_bytes) {
    auto rows = read_rows_whole(state->sheet, state->limits);
    if (!rows) return rows.error();
    state->current = std::move(*rows);
  } else {
    state->threaded = true;
    State* s = state.get();
    // Named so that top, perf and debuggers tell them from the mapping thread.
    state->scanner = std::thread([s] {
      pthread_setname_np(pthread_self(), "xlsx-scan");
      s->scan_guarded();
    });
    state->reader = std::thread([s] {
      pthread_setname_np(pthread_self(), "xlsx-read");
      s->read_guarded();
    });
  }
  return std::unique_ptr<XlsxRowReader>(new XlsxRowReader(std::move(state)));
}

const std::string& XlsxRowReader::sheet_name() const { return state_->sheet.info.names[state_->sheet.index]; }

const CsvRow* XlsxRowReader::next() {
  State& s = *state_;
  while (s.position == s.current.size()) {
    if (s.finished) return nullptr;
    if (!s.threaded || !s.next_block()) {
      s.finished = true;
      return nullptr;
    }
  }
  s.current.read(s.position++, s.buffer);
  return &s.buffer;
}

const std::optional<Error>& XlsxRowReader::error() const { return state_->error; }

XlsxRowReader::Mode XlsxRowReader::mode() {
  State& s = *state_;
  if (!s.threaded) return Mode::whole;
  std::unique_lock lock(s.mutex);
  s.changed.wait(lock, [&] { return s.verdict != State::Verdict::unknown; });
  return s.verdict == State::Verdict::stream ? Mode::streamed : Mode::whole_on_worker;
}

Expected<Sheet> read_xlsx(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
  auto prepared = prepare_sheet(bytes, choice, limits);
  if (!prepared) return prepared.error();
  auto rows = read_rows_whole(*prepared, limits);
  if (!rows) return rows.error();
  Sheet sheet;
  sheet.name = prepared->info.names[prepared->index];
  sheet.index = prepared->index + 1;
  sheet.all_names = std::move(prepared->info.names);
  sheet.rows = rows->to_vector();
  return sheet;
}

}  // namespace veikart::adapters::spreadsheet
