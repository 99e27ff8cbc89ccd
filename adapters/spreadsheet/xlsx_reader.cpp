#include "adapters/spreadsheet/xlsx_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
          format_number(number, output_);
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

Expected<CompactSheet> read_xlsx_compact(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
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
  if (!zip->contains(sheet_part)) {
    return Error{"sheet " + quote(info->names[index]) + ": " + sheet_part + " is missing"};
  }

  std::vector<std::string> strings;
  if (zip->contains(strings_part)) {
    auto s = read_shared_strings(*zip, strings_part, limits);
    if (!s) return s.error();
    strings = std::move(*s);
  }
  std::vector<bool> date_styles;
  if (zip->contains(styles_part)) {
    auto s = read_date_styles(*zip, styles_part);
    if (!s) return s.error();
    date_styles = std::move(*s);
  }

  SheetBuilder builder(limits);
  WorksheetReader reader(sheet_part, strings, date_styles, info->date1904, builder);
  if (auto error = parse_sax(*zip, sheet_part, reader)) return *error;
  auto rows = builder.finish_rows();
  if (!rows) return Error{sheet_part + ": " + rows.error().message};

  CompactSheet sheet;
  sheet.name = info->names[index];
  sheet.index = index + 1;
  sheet.all_names = std::move(info->names);
  sheet.rows = std::move(*rows);
  return sheet;
}

Expected<Sheet> read_xlsx(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
  auto compact = read_xlsx_compact(bytes, choice, limits);
  if (!compact) return compact.error();
  Sheet sheet;
  sheet.name = std::move(compact->name);
  sheet.index = compact->index;
  sheet.all_names = std::move(compact->all_names);
  sheet.rows = compact->rows.to_vector();
  return sheet;
}

}  // namespace veikart::adapters::spreadsheet
