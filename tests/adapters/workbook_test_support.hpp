#pragma once
/// @brief Builds XLSX and ODS files in memory with libzip's writing API, so no binary fixture is committed.

#include <zip.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace veikart::testing {

using ZipEntries = std::vector<std::pair<std::string, std::string>>;

/// A zip archive holding the entries (deflated unless `stored`), as bytes.
inline std::string make_zip(const ZipEntries& entries, bool stored = false) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* target = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (target == nullptr) throw std::runtime_error("zip_source_buffer_create");
  zip_source_keep(target);  // survives zip_close so that the written bytes can be read back
  zip_t* archive = zip_open_from_source(target, ZIP_TRUNCATE, &error);
  if (archive == nullptr) throw std::runtime_error("zip_open_from_source");
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(archive, data.data(), data.size(), 0);
    const zip_int64_t index = zip_file_add(archive, name.c_str(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) throw std::runtime_error("zip_file_add " + name);
    if (stored || name == "mimetype")
      zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0);
  }
  if (zip_close(archive) != 0) throw std::runtime_error("zip_close");
  std::string bytes;
  if (zip_source_open(target) != 0) throw std::runtime_error("zip_source_open");
  zip_source_seek(target, 0, SEEK_END);
  bytes.resize(static_cast<std::size_t>(zip_source_tell(target)));
  zip_source_seek(target, 0, SEEK_SET);
  zip_source_read(target, bytes.data(), bytes.size());
  zip_source_close(target);
  zip_source_free(target);
  zip_error_fini(&error);
  return bytes;
}

/// Any set of parts, e.g. make_xlsx({{"xl/workbook.xml", "..."}, ...}).
inline std::string make_xlsx(const ZipEntries& parts) { return make_zip(parts); }

inline constexpr const char* kSpreadsheetMl = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
inline constexpr const char* kRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A well-formed workbook around some worksheets.
struct XlsxBook {
  struct Sheet {
    std::string name;
    std::string body;         // what goes inside <worksheet>: <sheetData>... and <mergeCells>...
    std::string target = {};  // the relationship target; default worksheets/sheetN.xml
  };
  std::vector<Sheet> sheets;
  std::string shared_strings;  // the <si> elements
  std::string styles;          // the whole xl/styles.xml, or empty for none
  bool date1904 = false;

  ZipEntries parts() const {
    ZipEntries p;
    p.emplace_back("[Content_Types].xml",
                   R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
                   R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
                   R"(<Default Extension="xml" ContentType="application/xml"/></Types>)");
    p.emplace_back(
        "_rels/.rels",
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
        R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>)"
        R"(</Relationships>)");
    std::string workbook = std::string(R"(<?xml version="1.0" encoding="UTF-8"?><workbook xmlns=")") + kSpreadsheetMl +
                           R"(" xmlns:r=")" + kRelationships + R"(">)";
    if (date1904) workbook += R"(<workbookPr date1904="1"/>)";
    workbook += "<sheets>";
    std::string rels =
        R"(<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)";
    for (std::size_t i = 0; i < sheets.size(); ++i) {
      const std::string id = "rId" + std::to_string(i + 10);
      const std::string target =
          sheets[i].target.empty() ? "worksheets/sheet" + std::to_string(i + 1) + ".xml" : sheets[i].target;
      workbook += R"(<sheet name=")" + sheets[i].name + R"(" sheetId=")" + std::to_string(i + 1) + R"(" r:id=")" + id +
                  R"("/>)";
      rels += R"(<Relationship Id=")" + id +
              R"(" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target=")" +
              target + R"("/>)";
      const std::string part = target.front() == '/' ? target.substr(1) : "xl/" + target;
      p.emplace_back(part, std::string(R"(<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns=")") + kSpreadsheetMl +
                               R"(" xmlns:r=")" + kRelationships + R"(">)" + sheets[i].body + "</worksheet>");
    }
    workbook += "</sheets></workbook>";
    rels +=
        R"(<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>)"
        R"(<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>)"
        "</Relationships>";
    p.emplace_back("xl/workbook.xml", workbook);
    p.emplace_back("xl/_rels/workbook.xml.rels", rels);
    if (!shared_strings.empty()) {
      p.emplace_back("xl/sharedStrings.xml", std::string(R"(<?xml version="1.0" encoding="UTF-8"?><sst xmlns=")") +
                                                 kSpreadsheetMl + R"(">)" + shared_strings + "</sst>");
    }
    if (!styles.empty()) p.emplace_back("xl/styles.xml", styles);
    return p;
  }

  std::string bytes() const { return make_zip(parts()); }
};

/// Styles with cellXfs 0 General, 1 built-in date (14), 2 dd.mm.yyyy, 3 a currency format, 4 date-time (22),
/// 5 an elapsed time, 6 a quoted text containing d/m/y.
inline std::string test_styles() {
  return std::string(R"(<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns=")") + kSpreadsheetMl + R"(">)" +
         R"(<numFmts count="4"><numFmt numFmtId="164" formatCode="dd\.mm\.yyyy"/>)"
         R"(<numFmt numFmtId="165" formatCode="#,##0\ &quot;kr&quot;"/>)"
         R"(<numFmt numFmtId="166" formatCode="[h]:mm:ss"/>)"
         R"(<numFmt numFmtId="167" formatCode="0 &quot;mnd dager år&quot;"/></numFmts>)"
         R"(<cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>)"
         R"(<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/>)"
         R"(<xf numFmtId="165"/><xf numFmtId="22"/><xf numFmtId="166"/><xf numFmtId="167"/></cellXfs>)"
         R"(</styleSheet>)";
}

/// An ODS file whose office:spreadsheet holds `tables` (table:table elements).
inline std::string make_ods(const std::string& tables,
                            const std::string& mimetype = "application/vnd.oasis.opendocument.spreadsheet") {
  const std::string content =
      R"(<?xml version="1.0" encoding="UTF-8"?>)"
      R"(<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0")"
      R"( xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0")"
      R"( xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0")"
      R"( xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0")"
      R"( xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0")"
      R"( office:version="1.3"><office:body><office:spreadsheet>)" +
      tables + "</office:spreadsheet></office:body></office:document-content>";
  return make_zip(
      {{"mimetype", mimetype},
       {"META-INF/manifest.xml",
        R"(<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>)"},
       {"content.xml", content}});
}

}  // namespace veikart::testing
