#include "adapters/fiks_arkiv/xml_guard.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include <map>
#include <mutex>
#include <vector>

namespace veikart::adapters::fiks_arkiv {
namespace {

namespace fs = std::filesystem;

std::mutex allowed_mutex;
std::vector<fs::path>& allowed_folders() {
  static std::vector<fs::path> folders;
  return folders;
}

xmlExternalEntityLoader default_loader = nullptr;

bool is_below(const fs::path& file, const fs::path& folder) {
  auto f = file.begin();
  for (auto d = folder.begin(); d != folder.end(); ++d, ++f) {
    if (d->empty()) continue;  // a trailing separator
    if (f == file.end() || *f != *d) return false;
  }
  return true;
}

/// Only plain files below a registered schema folder are loaded; every other URL (http, ftp, files
/// elsewhere, the DTDs a DOCTYPE names) fails, whatever parser options a caller forgot to set.
xmlParserInputPtr guarded_loader(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  if (url != nullptr) {
    std::string_view u(url);
    if (u.starts_with("file://")) u.remove_prefix(7);
    if (u.find("://") == std::string_view::npos && !u.empty() && u.front() == '/') {
      std::error_code ec;
      const fs::path file = fs::weakly_canonical(fs::path(u), ec);
      if (!ec) {
        std::lock_guard lock(allowed_mutex);
        for (const auto& folder : allowed_folders()) {
          if (is_below(file, folder)) return default_loader(file.c_str(), id, ctxt);
        }
      }
    }
  }
  return nullptr;
}

/// libxml2 prints stray errors to stderr unless told otherwise; the adapter collects its own per reader.
void silent_errors(void*, xmlErrorPtr) {}

}  // namespace

void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    default_loader = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(guarded_loader);
  });
  // The structured error hook is per thread in libxml2.
  thread_local bool silenced = false;
  if (!silenced) {
    init_libxml_errors();
    silenced = true;
  }
}

void init_libxml_errors() { xmlSetStructuredErrorFunc(nullptr, silent_errors); }

void allow_schema_folder(const fs::path& folder) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(folder, ec);
  if (ec) return;
  std::lock_guard lock(allowed_mutex);
  for (const auto& f : allowed_folders()) {
    if (f == canonical) return;
  }
  allowed_folders().push_back(std::move(canonical));
}

namespace {

bool is_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':';
}

/// Reads a plain root start tag at `i` (its '<') through `at` (the prolog's ASCII view); leaves `root` unfound
/// at anything unusual.
template <class At>
void read_root_tag(const At& at, std::size_t i, RootTag& root) {
  std::size_t k = i + 1;
  auto name = [&] {
    std::string s;
    while (is_name_char(at(k))) s.push_back(static_cast<char>(at(k++)));
    return s;
  };
  auto space = [&] {
    while (at(k) == ' ' || at(k) == '\t' || at(k) == '\r' || at(k) == '\n') ++k;
  };
  const std::string qname = name();
  if (qname.empty()) return;
  std::map<std::string, std::string> declarations;  // "xmlns" or "xmlns:p" → URI
  for (;;) {
    space();
    if (at(k) == '>' || (at(k) == '/' && at(k + 1) == '>')) break;
    const std::string attribute = name();
    if (attribute.empty()) return;
    space();
    if (at(k) != '=') return;
    ++k;
    space();
    const int quote = at(k);
    if (quote != '"' && quote != '\'') return;
    ++k;
    std::string value;
    bool plain = true;
    for (int c = at(k); c != quote; c = at(++k)) {
      if (c < 0 || c == '<') return;
      if (c == '&' || c == 0x80 || c == '\t' || c == '\r' || c == '\n') plain = false;
      value.push_back(static_cast<char>(c));
    }
    ++k;
    if (attribute == "xmlns" || attribute.starts_with("xmlns:")) {
      if (!plain || !declarations.emplace(attribute, value).second) return;
    }
  }
  const std::size_t colon = qname.find(':');
  const std::string prefix = colon == std::string::npos ? std::string() : qname.substr(0, colon);
  const std::string local = colon == std::string::npos ? qname : qname.substr(colon + 1);
  if (local.empty() || local.find(':') != std::string::npos) return;
  auto ns = declarations.find(prefix.empty() ? std::string("xmlns") : "xmlns:" + prefix);
  if (ns == declarations.end() && !prefix.empty()) return;  // an unbound prefix: the parser says so
  root.found = true;
  root.name = local;
  root.ns = ns == declarations.end() ? std::string() : ns->second;
}

}  // namespace

Expected<XmlEncoding> check_prolog(std::string_view bytes, RootTag* root) {
  auto byte = [&](std::size_t i) { return i < bytes.size() ? static_cast<unsigned char>(bytes[i]) : 0x100u; };
  XmlEncoding encoding = XmlEncoding::utf8_or_ascii_compatible;
  std::size_t pos = 0;
  std::size_t unit = 1;
  if (byte(0) == 0x00 && byte(1) == 0x00) return Error{"unsupported encoding (UCS-4); send UTF-8 or UTF-16"};
  if (byte(0) == 0x4C && byte(1) == 0x6F && byte(2) == 0xA7 && byte(3) == 0x94) {
    return Error{"unsupported encoding (EBCDIC); send UTF-8 or UTF-16"};
  }
  if (byte(0) == 0xFF && byte(1) == 0xFE && byte(2) == 0x00 && byte(3) == 0x00) {
    return Error{"unsupported encoding (UCS-4); send UTF-8 or UTF-16"};
  }
  if (byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) {
    pos = 3;
  } else if (byte(0) == 0xFF && byte(1) == 0xFE) {
    encoding = XmlEncoding::utf16le, pos = 2, unit = 2;
  } else if (byte(0) == 0xFE && byte(1) == 0xFF) {
    encoding = XmlEncoding::utf16be, pos = 2, unit = 2;
  } else if (byte(0) == '<' && byte(1) == 0x00) {
    encoding = XmlEncoding::utf16le, unit = 2;
  } else if (byte(0) == 0x00 && byte(1) == '<') {
    encoding = XmlEncoding::utf16be, unit = 2;
  }

  // Reads the prolog as ASCII: markup is ASCII in every accepted encoding, and anything else (text in a
  // comment, say) only needs to be skipped.
  auto at = [&](std::size_t i) -> int {
    const std::size_t b = pos + i * unit;
    if (b + unit > bytes.size()) return -1;
    unsigned lo = byte(b), hi = 0;
    if (encoding == XmlEncoding::utf16le) hi = byte(b + 1);
    if (encoding == XmlEncoding::utf16be) hi = byte(b), lo = byte(b + 1);
    if (hi != 0 || lo > 0x7F) return 0x80;
    return static_cast<int>(lo);
  };
  auto starts = [&](std::size_t i, std::string_view s) {
    for (std::size_t k = 0; k < s.size(); ++k) {
      if (at(i + k) != static_cast<unsigned char>(s[k])) return false;
    }
    return true;
  };
  auto find = [&](std::size_t i, std::string_view s) -> std::size_t {
    for (; at(i) >= 0; ++i) {
      if (starts(i, s)) return i + s.size();
    }
    return std::string::npos;
  };

  std::size_t i = 0;
  for (;;) {
    int c = at(i);
    if (c < 0) return Error{"no root element: the message ends in its prolog"};
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c != '<') return Error{"not XML: content before the root element"};
    if (starts(i, "<?")) {
      i = find(i + 2, "?>");
    } else if (starts(i, "<!--")) {
      i = find(i + 4, "-->");
    } else if (starts(i, "<!DOCTYPE") || starts(i, "<!doctype")) {
      return Error{
          "DOCTYPE declarations are refused: a document type can declare entities (entity expansion, "
          "external entities); Fiks Arkiv messages never carry one"};
    } else if (starts(i, "<!")) {
      return Error{"not XML: unexpected markup '<!' before the root element"};
    } else {
      if (root != nullptr) read_root_tag(at, i, *root);
      return encoding;
    }
    if (i == std::string::npos) return Error{"not XML: unterminated declaration or comment before the root element"};
  }
}

}  // namespace veikart::adapters::fiks_arkiv
