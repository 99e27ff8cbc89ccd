#include "adapters/fiks_arkiv/message.hpp"

#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <climits>
#include <iterator>
#include <map>
#include <memory>

#include "adapters/common/archive.hpp"
#include "adapters/fiks_arkiv/xml_guard.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::fiks_arkiv {
namespace {

constexpr const char* xsi_namespace = "http://www.w3.org/2001/XMLSchema-instance";

/// Never XML_PARSE_NOENT (entity substitution), DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE: a message
/// must not make the parser fetch, expand or grow anything.
constexpr int parse_options = XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES;

/// The XSD allows one mappe and one registrering; a few more are mapped leniently, a flood is refused.
constexpr std::size_t max_records = 100;

/// Text kept per element: a title or a number is short, and a huge text node must not grow memory.
constexpr std::size_t max_text_bytes = 64u << 10;

/// Paths below a mappe/registrering element whose text the mapping reads.
/// Paths below a mappe/registrering element that the mapping reads. Containers collect a key pair from
/// their two leaves; the other paths are leaves whose text is kept.
enum class Role { leaf, key_container, key_system, key_id, parent_key_container, parent_key_system, parent_key_id };

struct WantedPath {
  std::string_view path;
  Role role = Role::leaf;
};

constexpr WantedPath wanted_paths[] = {
    {"systemID"},
    {"mappeID"},
    {"tittel"},
    {"saksaar"},
    {"sakssekvensnummer"},
    {"saksdato"},
    {"saksstatus/kode"},
    {"saksstatus/beskrivelse"},
    {"journalaar"},
    {"journalsekvensnummer"},
    {"journaldato"},
    {"journalstatus/kode"},
    {"journalstatus/beskrivelse"},
    {"moetesaksaar"},
    {"moetesakssekvensnummer"},
    {"vedtak/dato"},
    {"referanseForelderMappe/systemID"},
    {"referanseForelderMappe/mappeID"},
    {"referanseForelderMappe/saksnummer/saksaar"},
    {"referanseForelderMappe/saksnummer/sakssekvensnummer"},
    {"referanseEksternNoekkel", Role::key_container},
    {"referanseEksternNoekkel/fagsystem", Role::key_system},
    {"referanseEksternNoekkel/noekkel", Role::key_id},
    {"referanseForelderMappe/referanseEksternNoekkel", Role::parent_key_container},
    {"referanseForelderMappe/referanseEksternNoekkel/fagsystem", Role::parent_key_system},
    {"referanseForelderMappe/referanseEksternNoekkel/noekkel", Role::parent_key_id},
};
constexpr std::size_t max_path_length = 3;  // names below the record element

/// A wanted path as the names the reader's dictionary interns: matching an element is then a few pointer
/// comparisons instead of building and comparing strings for each of millions of nodes.
struct InternedPath {
  const WantedPath* wanted = nullptr;
  std::size_t length = 0;
  const xmlChar* names[max_path_length] = {};
};

std::vector<InternedPath> intern_paths(xmlTextReaderPtr reader) {
  std::vector<InternedPath> out;
  for (const auto& w : wanted_paths) {
    InternedPath p;
    p.wanted = &w;
    std::string_view rest = w.path;
    while (!rest.empty() && p.length < max_path_length) {
      const std::size_t slash = rest.find('/');
      const std::string name(rest.substr(0, slash));
      p.names[p.length++] = xmlTextReaderConstString(reader, BAD_CAST name.c_str());
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    out.push_back(p);
  }
  return out;
}

struct KeyPair {
  std::string system;
  std::string id;
};

/// What the stream gave for one mappe or registrering element.
struct Record {
  std::string element;  // mappe | registrering
  std::string type;     // xsi:type without its prefix
  int line = 0;
  std::map<std::string, std::string, std::less<>> values;  // relative path → trimmed text, first wins
  std::vector<KeyPair> keys;                               // referanseEksternNoekkel
  std::vector<KeyPair> parent_keys;                        // referanseForelderMappe/referanseEksternNoekkel
  KeyPair pending;
  KeyPair pending_parent;

  std::string get(std::string_view path) const {
    auto it = values.find(path);
    return it == values.end() ? std::string() : it->second;
  }
};

struct Violation {
  int line = 0;
  std::string element;
  std::string message;
};

struct ErrorSink {
  std::size_t max_violations = 50;
  std::vector<Violation> violations;
  std::size_t violation_count = 0;
  std::string fatal;
  int fatal_line = 0;
};

/// libxml2 messages end in a newline and name elements as '{namespace}name'; the namespace is always the
/// message's own, so it only makes the text longer.
std::string clean_message(const char* raw) {
  std::string out;
  if (raw == nullptr) return out;
  std::string_view s(raw);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '{') {
      const std::size_t close = s.find('}', i);
      if (close != std::string_view::npos) {
        i = close;
        continue;
      }
    }
    out += s[i];
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (out.size() > 400) out = out.substr(0, 400) + "...";
  return out;
}

std::string element_of(const xmlError* err) {
  if (err->node != nullptr) {
    auto* node = static_cast<xmlNodePtr>(err->node);
    if (node->type == XML_ELEMENT_NODE && node->name != nullptr) return reinterpret_cast<const char*>(node->name);
  }
  std::string_view m(err->message == nullptr ? "" : err->message);
  const std::size_t start = m.find("Element '");
  if (start == std::string_view::npos) return {};
  std::string_view rest = m.substr(start + 9);
  rest = rest.substr(0, rest.find('\''));
  if (const std::size_t close = rest.find('}'); close != std::string_view::npos) rest.remove_prefix(close + 1);
  return std::string(rest);
}

void on_error(void* arg, xmlErrorPtr err) {
  auto* sink = static_cast<ErrorSink*>(arg);
  if (err == nullptr || err->level == XML_ERR_NONE) return;
  if (err->domain == XML_FROM_SCHEMASV) {
    if (++sink->violation_count <= sink->max_violations) {
      sink->violations.push_back({err->line, element_of(err), clean_message(err->message)});
    }
    return;
  }
  if (err->level >= XML_ERR_ERROR && sink->fatal.empty()) {
    sink->fatal = clean_message(err->message);
    sink->fatal_line = err->line;
  }
}

struct ReaderDeleter {
  void operator()(xmlTextReader* r) const { xmlFreeTextReader(r); }
};
using Reader = std::unique_ptr<xmlTextReader, ReaderDeleter>;

/// Routes this thread's libxml2 errors to a sink while it lives. The reader's own handler is not used:
/// once a schema is plugged into the reader's SAX handler, libxml2 (2.9) hands that handler the wrong context.
class ErrorScope {
 public:
  explicit ErrorScope(ErrorSink& sink) { xmlSetStructuredErrorFunc(&sink, on_error); }
  ~ErrorScope() { init_libxml_errors(); }
  ErrorScope(const ErrorScope&) = delete;
  ErrorScope& operator=(const ErrorScope&) = delete;
};

Reader open_reader(std::string_view bytes) {
  return Reader(xmlReaderForMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, parse_options));
}

/// The line of the node the reader stands on; the parser's own line runs ahead of it.
int current_line(xmlTextReaderPtr reader) {
  xmlNodePtr node = xmlTextReaderCurrentNode(reader);
  const long line = node != nullptr ? xmlGetLineNo(node) : -1;
  return line > 0 ? static_cast<int>(line) : xmlTextReaderGetParserLineNumber(reader);
}

std::string str(const xmlChar* s) {
  return s == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(s));
}

std::string without_prefix(std::string s) {
  if (const std::size_t colon = s.find(':'); colon != std::string::npos) s.erase(0, colon + 1);
  return s;
}

std::string first_non_empty(std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    if (!c.empty()) return c;
  }
  return {};
}

/// The stream of one message, reduced to its mappe and registrering records.
struct Extraction {
  std::vector<Record> records;
  std::optional<std::string> refused;  // limits, forbidden node types, broken XML
};

/// Handles the end of an element that matched a wanted path.
void end_wanted(Record& r, const WantedPath& w, const std::string& text) {
  const std::string_view value = trim(text);
  switch (w.role) {
    case Role::leaf:
      r.values.emplace(std::string(w.path), std::string(value));
      break;
    case Role::key_system:
      r.pending.system = value;
      break;
    case Role::key_id:
      r.pending.id = value;
      break;
    case Role::key_container:
      if (!r.pending.system.empty() && !r.pending.id.empty()) r.keys.push_back(r.pending);
      r.pending = {};
      break;
    case Role::parent_key_system:
      r.pending_parent.system = value;
      break;
    case Role::parent_key_id:
      r.pending_parent.id = value;
      break;
    case Role::parent_key_container:
      if (!r.pending_parent.system.empty() && !r.pending_parent.id.empty()) r.parent_keys.push_back(r.pending_parent);
      r.pending_parent = {};
      break;
  }
}

Extraction extract(xmlTextReaderPtr reader, const MessageOptions& options, ErrorSink& sink) {
  Extraction ex;
  const std::vector<InternedPath> paths = intern_paths(reader);
  const xmlChar* const mappe = xmlTextReaderConstString(reader, BAD_CAST "mappe");
  const xmlChar* const registrering = xmlTextReaderConstString(reader, BAD_CAST "registrering");
  std::vector<const xmlChar*> stack;       // local names by depth, interned by the reader's dictionary
  std::vector<const WantedPath*> matched;  // the wanted path each open element matched, by depth
  Record* current = nullptr;
  const WantedPath* capturing = nullptr;  // the leaf whose text is being collected
  std::string text;
  std::size_t nodes = 0;
  int ret = 0;

  auto end = [&](int depth) {
    const auto d = static_cast<std::size_t>(depth);
    if (current != nullptr && d < matched.size() && matched[d] != nullptr) {
      end_wanted(*current, *matched[d], text);
      matched[d] = nullptr;
    }
    capturing = nullptr;
    if (depth == 1) current = nullptr;
  };

  while ((ret = xmlTextReaderRead(reader)) == 1) {
    if (++nodes > options.max_nodes) {
      ex.refused = "more than " + std::to_string(options.max_nodes) + " XML nodes (limit)";
      return ex;
    }
    switch (xmlTextReaderNodeType(reader)) {
      case XML_READER_TYPE_ELEMENT: {
        const int depth = xmlTextReaderDepth(reader);
        if (depth > options.max_depth) {
          ex.refused = "elements nested deeper than " + std::to_string(options.max_depth) + " levels (limit)";
          return ex;
        }
        const auto d = static_cast<std::size_t>(depth);
        const xmlChar* name = xmlTextReaderConstLocalName(reader);
        stack.resize(d);
        stack.push_back(name);
        matched.resize(d + 1);
        matched[d] = nullptr;
        capturing = nullptr;
        if (depth == 1 && (name == mappe || name == registrering)) {
          if (ex.records.size() == max_records) {
            ex.refused = "more than " + std::to_string(max_records) + " mappe and registrering elements (limit)";
            return ex;
          }
          Record r;
          r.element = str(name);
          if (xmlChar* t = xmlTextReaderGetAttributeNs(reader, BAD_CAST "type", BAD_CAST xsi_namespace)) {
            r.type = without_prefix(str(t));
            xmlFree(t);
          }
          r.line = current_line(reader);
          ex.records.push_back(std::move(r));
          current = &ex.records.back();
        } else if (current != nullptr && depth >= 2 && d - 1 <= max_path_length) {
          for (const auto& p : paths) {
            if (p.length != d - 1 || p.names[p.length - 1] != name) continue;
            if (std::equal(p.names, p.names + p.length, stack.begin() + 2)) {
              matched[d] = p.wanted;
              if (p.wanted->role != Role::key_container && p.wanted->role != Role::parent_key_container) {
                capturing = p.wanted;
                text.clear();
              }
              break;
            }
          }
        }
        if (xmlTextReaderIsEmptyElement(reader)) end(depth);
        break;
      }
      case XML_READER_TYPE_END_ELEMENT:
        end(xmlTextReaderDepth(reader));
        break;
      case XML_READER_TYPE_TEXT:
      case XML_READER_TYPE_CDATA:
      case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        if (capturing != nullptr && text.size() < max_text_bytes) {
          if (const xmlChar* v = xmlTextReaderConstValue(reader)) text += reinterpret_cast<const char*>(v);
        }
        break;
      case XML_READER_TYPE_DOCUMENT_TYPE:
      case XML_READER_TYPE_ENTITY:
      case XML_READER_TYPE_ENTITY_REFERENCE:
        ex.refused = "DTDs and entity references are refused";
        return ex;
      default:
        break;
    }
  }
  if (sink.fatal.find("Excessive depth") != std::string::npos) {
    ex.refused = "elements nested deeper than " + std::to_string(options.max_depth) + " levels (limit)";
  } else if (ret < 0 || !sink.fatal.empty()) {
    std::string reason = "not well-formed XML";
    if (sink.fatal_line > 0) reason += " (line " + std::to_string(sink.fatal_line) + ")";
    if (!sink.fatal.empty()) reason += ": " + sink.fatal;
    ex.refused = std::move(reason);
  }
  return ex;
}

/// The root element's name and namespace, from a reader that stops there.
struct Root {
  std::string name;
  std::string ns;
};

Expected<Root> read_root(std::string_view bytes) {
  ErrorSink sink;
  ErrorScope scope(sink);
  Reader reader = open_reader(bytes);
  if (!reader) return Error{"cannot start the XML reader"};
  int ret = 0;
  while ((ret = xmlTextReaderRead(reader.get())) == 1) {
    const int type = xmlTextReaderNodeType(reader.get());
    if (type == XML_READER_TYPE_DOCUMENT_TYPE) return Error{"DTDs are refused"};
    if (type == XML_READER_TYPE_ELEMENT) {
      return Root{str(xmlTextReaderConstLocalName(reader.get())), str(xmlTextReaderConstNamespaceUri(reader.get()))};
    }
  }
  std::string reason = "not well-formed XML";
  if (sink.fatal_line > 0) reason += " (line " + std::to_string(sink.fatal_line) + ")";
  reason += ": " + (sink.fatal.empty() ? std::string("no root element") : sink.fatal);
  return Error{reason};
}

/// Names a namespace's message type for people: the official type name when the schema folder knows it.
std::string describe_type(const Root& root, const MessageOptions& options) {
  std::string type = options.schemas != nullptr ? options.schemas->message_type(root.ns) : std::string();
  std::string out = type.empty() ? "an unknown message type" : "message type " + type;
  out += " (root element <" + root.name + ">";
  out += root.ns.empty() ? ", no namespace)" : ", namespace " + root.ns + ")";
  return out;
}

struct Mapper {
  const MessageOptions& options;
  std::string_view label;
  std::vector<std::string> skipped;  // why records were not mapped

  std::string where(const Record& r) const {
    return std::string(label) + " /arkivmelding/" + r.element + " (line " + std::to_string(r.line) + ")";
  }

  static void add_id(Json& ids, const std::string& system, const std::string& id) {
    if (system.empty() || id.empty()) return;
    Json entry = ExternalId{system, id};
    if (std::find(ids.begin(), ids.end(), entry) == ids.end()) ids.push_back(std::move(entry));
  }

  /// The caller's key when it already is a canonical id; else one in the source's namespace, which the
  /// pipeline resolves through the external ids.
  std::string fragment_id(const std::vector<KeyPair>& keys, std::string_view local) const {
    for (const auto& k : keys) {
      if (looks_canonical(k.id)) return k.id;
    }
    std::string id = options.source_name + ":";
    for (const char c : local)
      id += (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') ? '-' : c;
    return id;
  }

  std::optional<Fragment> map_case(const Record& r) {
    if (r.type != "saksmappe") {
      skipped.push_back("mappe of type '" + (r.type.empty() ? std::string("mappe") : r.type) +
                        "' is not mapped (only saksmappe)");
      return std::nullopt;
    }
    const std::string title = r.get("tittel");
    if (title.empty()) {
      skipped.push_back("saksmappe at line " + std::to_string(r.line) + " has no tittel");
      return std::nullopt;
    }
    const std::string number = case_number(r.get("saksaar"), r.get("sakssekvensnummer"));
    const std::string system_id = r.get("systemID");
    const std::string first_key = r.keys.empty() ? std::string() : r.keys.front().id;
    Decision d;
    // A new case has no number yet; its systemID or the caller's key still tell decisions apart.
    d.case_number = first_non_empty({number, system_id, first_key, r.get("mappeID")});
    if (d.case_number.empty()) {
      skipped.push_back("saksmappe at line " + std::to_string(r.line) +
                        " has no saksaar/sakssekvensnummer, systemID or referanseEksternNoekkel");
      return std::nullopt;
    }
    d.title = title;
    d.date = iso_date(r.get("saksdato"));
    d.status = status_text(r.get("saksstatus/kode"), r.get("saksstatus/beskrivelse"), case_status_description);
    d.source = options.source_name;

    Json ids = Json::array();
    for (const auto& k : r.keys) add_id(ids, k.system, k.id);
    add_id(ids, options.archive_system, number);

    Fragment f;
    f.record =
        first_non_empty({system_id, number, r.keys.empty() ? std::string() : r.keys.front().system + ":" + first_key});
    f.id = fragment_id(r.keys, first_non_empty({system_id, number, first_key}));
    f.where = where(r);
    f.attach_only = true;
    f.fields = Json{{"decisions", Json::array({Json(d)})}};
    if (!ids.empty()) f.fields["external_ids"] = std::move(ids);
    return f;
  }

  std::optional<Fragment> map_registration(const Record& r, const Record* in_message_case) {
    if (r.type != "journalpost" && r.type != "arkivnotat" && r.type != "moetesak") {
      skipped.push_back("registrering of type '" + (r.type.empty() ? std::string("registrering") : r.type) +
                        "' is not mapped (only journalpost, arkivnotat, moetesak)");
      return std::nullopt;
    }
    const std::string title = r.get("tittel");
    if (title.empty()) {
      skipped.push_back(r.type + " at line " + std::to_string(r.line) + " has no tittel");
      return std::nullopt;
    }
    std::string own_number;
    std::optional<std::string> date;
    std::optional<std::string> status;
    if (r.type == "journalpost") {
      own_number = case_number(r.get("journalaar"), r.get("journalsekvensnummer"));
      date = iso_date(r.get("journaldato"));
      status = status_text(r.get("journalstatus/kode"), r.get("journalstatus/beskrivelse"), journal_status_description);
    } else if (r.type == "moetesak") {
      own_number = case_number(r.get("moetesaksaar"), r.get("moetesakssekvensnummer"));
      date = iso_date(r.get("vedtak/dato"));
    }
    std::string parent_case = case_number(r.get("referanseForelderMappe/saksnummer/saksaar"),
                                          r.get("referanseForelderMappe/saksnummer/sakssekvensnummer"));
    if (parent_case.empty() && in_message_case != nullptr) {
      parent_case = case_number(in_message_case->get("saksaar"), in_message_case->get("sakssekvensnummer"));
    }
    const std::string system_id = r.get("systemID");
    const std::string first_key = r.keys.empty() ? std::string() : r.keys.front().id;

    Decision d;
    d.case_number = first_non_empty({own_number, parent_case, system_id, first_key});
    if (d.case_number.empty()) {
      skipped.push_back(r.type + " at line " + std::to_string(r.line) +
                        " has no journal number, parent case number, systemID or referanseEksternNoekkel");
      return std::nullopt;
    }
    d.title = title;
    d.date = date;
    d.status = status;
    d.source = options.source_name;

    // The ids of the parent case come first: they are what ties a registration to a roadmap item.
    std::vector<KeyPair> parent_keys = r.parent_keys;
    if (in_message_case != nullptr) {
      parent_keys.insert(parent_keys.end(), in_message_case->keys.begin(), in_message_case->keys.end());
    }
    Json ids = Json::array();
    for (const auto& k : parent_keys) add_id(ids, k.system, k.id);
    add_id(ids, options.archive_system, parent_case);
    for (const auto& k : r.keys) add_id(ids, k.system, k.id);

    Fragment f;
    f.record = first_non_empty({system_id, own_number.empty() ? std::string() : r.type + " " + own_number,
                                r.keys.empty() ? std::string() : r.keys.front().system + ":" + first_key,
                                std::string(label) + "#registrering"});
    std::vector<KeyPair> id_candidates = parent_keys;
    id_candidates.insert(id_candidates.end(), r.keys.begin(), r.keys.end());
    f.id = fragment_id(id_candidates, first_non_empty({system_id, own_number, first_key, f.record}));
    f.where = where(r);
    f.attach_only = true;
    f.fields = Json{{"decisions", Json::array({Json(d)})}};
    if (!ids.empty()) f.fields["external_ids"] = std::move(ids);
    return f;
  }

  static std::optional<std::string> status_text(const std::string& code, const std::string& description,
                                                std::optional<std::string> (*official)(std::string_view)) {
    if (code.empty()) return description.empty() ? std::nullopt : std::optional<std::string>(description);
    if (auto known = official(code)) return known;
    return description.empty() ? code : description;
  }
};

std::string join_violations(const ErrorSink& sink, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < sink.violations.size() && i < max; ++i) {
    const Violation& v = sink.violations[i];
    if (!out.empty()) out += "; ";
    out += "line " + std::to_string(v.line);
    if (!v.element.empty()) out += " element " + v.element;
    out += ": " + v.message;
  }
  if (sink.violation_count > max) out += "; and " + std::to_string(sink.violation_count - max) + " more";
  return out;
}

}  // namespace

std::optional<std::string> journal_status_description(std::string_view code) {
  static const std::map<std::string, std::string, std::less<>> codes = {
      {"J", "Journalført"},
      {"F", "Ferdigstilt av saksbehandler"},
      {"G", "Godkjent av leder"},
      {"E", "Ekspedert"},
      {"A", "Arkivert"},
      {"U", "Utgår"},
      {"M", "Midlertidig registrering av innkommende dokument"},
      {"S", "Saksbehandler har registrert innkommende dokument"},
      {"R", "Reservert dokument"}};
  auto it = codes.find(code);
  return it == codes.end() ? std::nullopt : std::optional<std::string>(it->second);
}

MessageResult read_message(std::string_view bytes, const MessageOptions& options, std::string_view label) {
  MessageResult result;
  auto refuse = [&](std::string reason, std::string record = {}) {
    result.fragments.clear();
    result.rejected = Issue{std::string(label), std::move(reason), std::move(record)};
    return result;
  };
  init_libxml();
  if (bytes.empty()) return refuse("empty message");
  const std::size_t limit = std::min<std::size_t>(options.max_bytes, INT_MAX);
  if (bytes.size() > limit) {
    return refuse("message is " + std::to_string(bytes.size()) + " bytes; the limit (max_bytes) is " +
                  std::to_string(limit));
  }
  RootTag tag;
  if (auto prolog = check_prolog(bytes, &tag); !prolog) return refuse(prolog.error().message);

  // The prolog scan names the root of a plain start tag; only other tags need a reader of their own.
  auto root = tag.found ? Expected<Root>(Root{std::move(tag.name), std::move(tag.ns)}) : read_root(bytes);
  if (!root) return refuse(root.error().message);
  if (root->name == "arkivmelding" && root->ns != arkivmelding_namespace) {
    return refuse("an arkivmelding in namespace '" + root->ns + "' is not mapped: only Fiks Arkiv V1 (" +
                  std::string(arkivmelding_namespace) +
                  ") is; older Noark 5 or Fiks arkivintegrasjon messages are not");
  }
  if (root->ns != arkivmelding_namespace || root->name != "arkivmelding") {
    return refuse(describe_type(*root, options) + " is not mapped: only arkivmelding messages (" +
                  std::string(arkivmelding_message_type) + ") carry cases for the roadmap");
  }

  ErrorSink sink;
  sink.max_violations = std::max<std::size_t>(options.max_warnings, 5);
  ErrorScope scope(sink);
  Reader reader = open_reader(bytes);
  if (!reader) return refuse("cannot start the XML reader");
  std::string schema_file;
  if (options.schemas != nullptr) {
    auto schema = options.schemas->schema(root->ns);
    if (!schema) return refuse(schema.error().message);
    if (xmlTextReaderSetSchema(reader.get(), *schema) != 0) return refuse("cannot attach the XSD to the reader");
    schema_file = options.schemas->message_type(root->ns) + ".xsd";
  }
  Extraction ex = extract(reader.get(), options, sink);
  reader.reset();
  if (ex.refused) return refuse(*ex.refused);

  Mapper mapper{options, label, {}};
  const Record* the_case = nullptr;
  for (const auto& r : ex.records) {
    if (r.element == "mappe" && r.type == "saksmappe" && the_case == nullptr) the_case = &r;
  }
  for (const auto& r : ex.records) {
    std::optional<Fragment> f = r.element == "mappe" ? mapper.map_case(r) : mapper.map_registration(r, the_case);
    if (f) result.fragments.push_back(std::move(*f));
  }

  const bool invalid = sink.violation_count > 0;
  if (invalid && options.mode == Mode::strict) {
    return refuse("does not conform to " + schema_file + " (" + std::to_string(sink.violation_count) +
                      (sink.violation_count == 1 ? " violation): " : " violations): ") + join_violations(sink, 5),
                  result.fragments.empty() ? std::string() : result.fragments.front().record);
  }
  for (std::size_t i = 0; i < sink.violations.size() && i < options.max_warnings; ++i) {
    const Violation& v = sink.violations[i];
    std::string where = std::string(label) + " line " + std::to_string(v.line);
    if (!v.element.empty()) where += " element " + v.element;
    result.warnings.push_back({std::move(where), "schema violation (" + schema_file + "): " + v.message});
  }
  if (sink.violation_count > options.max_warnings) {
    result.warnings.push_back({std::string(label), std::to_string(sink.violation_count - options.max_warnings) +
                                                       " more schema violations not listed"});
  }
  if (result.fragments.empty()) {
    std::string reason =
        ex.records.empty() ? "the arkivmelding holds no mappe or registrering to map" : "nothing to map: ";
    for (std::size_t i = 0; i < mapper.skipped.size(); ++i) reason += (i ? "; " : "") + mapper.skipped[i];
    if (invalid) {
      reason += " (and " + std::to_string(sink.violation_count) +
                (sink.violation_count == 1 ? " schema violation" : " schema violations") + ", see warnings)";
    }
    auto warnings = std::move(result.warnings);
    refuse(std::move(reason));
    result.warnings = std::move(warnings);
    return result;
  }
  for (const auto& s : mapper.skipped) result.warnings.push_back({std::string(label), s});
  return result;
}

}  // namespace veikart::adapters::fiks_arkiv
