#include "adapters/spreadsheet/xlsx_reader.hpp"

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

/// Streams one worksheet into the builder.
std::optional<Error> read_worksheet(XmlStream& xml, const std::string& part, const std::vector<std::string>& strings,
                                    const std::vector<bool>& date_styles, bool date1904, SheetBuilder& builder) {
  bool in_sheet_data = false, in_cell = false, in_v = false, in_is = false, in_t = false;
  std::uint64_t row = 0, column = 0;
  CellType type = CellType::number;
  std::uint64_t style = 0;
  std::string value;   // the cell's <v> or inline text
  std::string output;  // what goes into the row, reused to spare allocations
  auto fail = [&](std::string message) -> std::optional<Error> {
    return Error{part + ": cell " + column_letters(static_cast<std::size_t>(column ? column - 1 : 0)) +
                 std::to_string(row) + ": " + message};
  };

  while (xml.next()) {
    switch (xml.node()) {
      case Node::element: {
        const std::string_view name = xml.local_name();
        if (name == "c" && in_sheet_data) {
          type = CellType::number;
          style = 0;
          bool has_ref = false;
          bool bad_ref = false;
          xml.for_each_attribute([&](std::string_view a, std::string_view ns, std::string_view v) {
            if (!ns.empty()) return;
            if (a == "r") {
              has_ref = true;
              bad_ref = !parse_ref(v, row, column);
            } else if (a == "t") {
              type = cell_type(v);
            } else if (a == "s") {
              style = parse_count(v).value_or(0);
            }
          });
          if (bad_ref) return Error{part + ": row " + std::to_string(row) + ": bad cell reference"};
          if (!has_ref) ++column;  // cells without a reference follow the previous one
          value.clear();
          in_cell = !xml.empty_element();
        } else if (name == "v" && in_cell) {
          in_v = !xml.empty_element();
        } else if (name == "is" && in_cell) {
          in_is = !xml.empty_element();
        } else if (name == "t" && in_is) {
          in_t = !xml.empty_element();
        } else if (name == "row" && in_sheet_data) {
          std::optional<std::uint64_t> r;
          xml.for_each_attribute([&](std::string_view a, std::string_view ns, std::string_view v) {
            if (a == "r" && ns.empty()) r = parse_count(v);
          });
          row = r && *r > 0 ? *r : row + 1;
          column = 0;
        } else if (name == "sheetData") {
          in_sheet_data = !xml.empty_element();
        } else if (name == "mergeCell") {
          std::string ref;
          xml.for_each_attribute([&](std::string_view a, std::string_view ns, std::string_view v) {
            if (a == "ref" && ns.empty()) ref = v;
          });
          const auto colon = ref.find(':');
          std::uint64_t r1 = 0, c1 = 0, r2 = 0, c2 = 0;
          if (colon != std::string::npos && parse_ref(std::string_view(ref).substr(0, colon), r1, c1) &&
              parse_ref(std::string_view(ref).substr(colon + 1), r2, c2)) {
            if (!builder.add_merge(r1, c1, r2, c2)) return Error{part + ": " + builder.error()->message};
          }
        } else if (name == "f" || name == "rPh" || name == "extLst" || name == "sheetViews" || name == "cols" ||
                   name == "conditionalFormatting" || name == "dataValidations") {
          xml.skip();  // nothing in these changes a cell's value
        }
        break;
      }
      case Node::text:
        if (in_v || in_t) value += xml.text();
        break;
      case Node::end_element: {
        const std::string_view name = xml.local_name();
        if (name == "v") {
          in_v = false;
        } else if (name == "t") {
          in_t = false;
        } else if (name == "is") {
          in_is = false;
        } else if (name == "sheetData") {
          in_sheet_data = false;
        } else if (name == "c" && in_cell) {
          in_cell = false;
          in_v = in_is = in_t = false;
          const std::string* out = &output;
          switch (type) {
            case CellType::shared: {
              auto index = parse_count(value);
              if (value.empty()) continue;
              if (!index || *index >= strings.size()) return fail("no shared string " + quote(value));
              out = &strings[static_cast<std::size_t>(*index)];
              break;
            }
            case CellType::inline_string:
              decode_escapes(value);
              out = &value;
              break;
            case CellType::formula_string:
            case CellType::error:
              out = &value;
              break;
            case CellType::boolean:
              output = value == "1" || value == "true" ? "true" : value == "0" || value == "false" ? "false" : value;
              break;
            case CellType::date:
              output = is_iso_date(value) ? value.substr(0, 10) : value;
              break;
            case CellType::number: {
              std::string_view v = trim(value);
              double number = 0;
              auto r = std::from_chars(v.data(), v.data() + v.size(), number);
              if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size()) {
                out = &value;  // not a number after all: keep what the file says
                break;
              }
              const bool is_date = style < date_styles.size() && date_styles[static_cast<std::size_t>(style)];
              std::optional<std::string> date;
              if (is_date && std::isfinite(number) && std::fabs(number) < 1e7) {
                // Excel keeps times to the millisecond; round there so 23:59:59.9996 is the next day, as shown.
                const auto ms = std::llround(number * 86'400'000.0);
                const long long day = ms >= 0 ? ms / 86'400'000 : -((-ms + 86'399'999) / 86'400'000);
                // Times alone (day 0 in the 1900 system) are not dates; they stay numbers.
                date = excel_serial_date(day, date1904);
              }
              if (date) {
                output = std::move(*date);
              } else {
                format_number(number, output);
              }
              break;
            }
          }
          if (!builder.set(row, column, *out)) return Error{part + ": " + builder.error()->message};
        }
        break;
      }
      case Node::other:
        break;
    }
  }
  if (xml.error()) return *xml.error();
  return std::nullopt;
}

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

Expected<Sheet> read_xlsx(std::string_view bytes, const SheetChoice& choice, const SheetLimits& limits) {
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

  auto xml = XmlStream::open(*zip, sheet_part);
  if (!xml) return xml.error();
  SheetBuilder builder(limits);
  if (auto error = read_worksheet(*xml, sheet_part, strings, date_styles, info->date1904, builder)) return *error;
  auto rows = builder.finish();
  if (!rows) return Error{sheet_part + ": " + rows.error().message};

  Sheet sheet;
  sheet.name = info->names[index];
  sheet.index = index + 1;
  sheet.all_names = std::move(info->names);
  sheet.rows = std::move(*rows);
  return sheet;
}

}  // namespace veikart::adapters::spreadsheet
