#include "adapters/fiks_arkiv/message.hpp"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
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

/// The leaves below a mappe/registrering element whose text the mapping reads, as indexes into a record's
/// fixed array of values.
enum class Leaf : std::uint8_t {
  system_id,
  mappe_id,
  tittel,
  saksaar,
  sakssekvensnummer,
  saksdato,
  saksstatus_kode,
  saksstatus_beskrivelse,
  journalaar,
  journalsekvensnummer,
  journaldato,
  journalstatus_kode,
  journalstatus_beskrivelse,
  moetesaksaar,
  moetesakssekvensnummer,
  vedtak_dato,
  parent_system_id,
  parent_mappe_id,
  parent_saksaar,
  parent_sakssekvensnummer,
  count
};
constexpr std::size_t leaf_count = static_cast<std::size_t>(Leaf::count);

/// Paths below a mappe/registrering element that the mapping reads. Containers collect a key pair from
/// their two leaves; the other paths are leaves whose text is kept.
enum class Role { leaf, key_container, key_system, key_id, parent_key_container, parent_key_system, parent_key_id };

struct WantedPath {
  std::string_view path;
  Role role = Role::leaf;
  Leaf leaf = Leaf::count;  // for Role::leaf
};

constexpr WantedPath wanted_paths[] = {
    {"systemID", Role::leaf, Leaf::system_id},
    {"mappeID", Role::leaf, Leaf::mappe_id},
    {"tittel", Role::leaf, Leaf::tittel},
    {"saksaar", Role::leaf, Leaf::saksaar},
    {"sakssekvensnummer", Role::leaf, Leaf::sakssekvensnummer},
    {"saksdato", Role::leaf, Leaf::saksdato},
    {"saksstatus/kode", Role::leaf, Leaf::saksstatus_kode},
    {"saksstatus/beskrivelse", Role::leaf, Leaf::saksstatus_beskrivelse},
    {"journalaar", Role::leaf, Leaf::journalaar},
    {"journalsekvensnummer", Role::leaf, Leaf::journalsekvensnummer},
    {"journaldato", Role::leaf, Leaf::journaldato},
    {"journalstatus/kode", Role::leaf, Leaf::journalstatus_kode},
    {"journalstatus/beskrivelse", Role::leaf, Leaf::journalstatus_beskrivelse},
    {"moetesaksaar", Role::leaf, Leaf::moetesaksaar},
    {"moetesakssekvensnummer", Role::leaf, Leaf::moetesakssekvensnummer},
    {"vedtak/dato", Role::leaf, Leaf::vedtak_dato},
    {"referanseForelderMappe/systemID", Role::leaf, Leaf::parent_system_id},
    {"referanseForelderMappe/mappeID", Role::leaf, Leaf::parent_mappe_id},
    {"referanseForelderMappe/saksnummer/saksaar", Role::leaf, Leaf::parent_saksaar},
    {"referanseForelderMappe/saksnummer/sakssekvensnummer", Role::leaf, Leaf::parent_sakssekvensnummer},
    {"referanseEksternNoekkel", Role::key_container},
    {"referanseEksternNoekkel/fagsystem", Role::key_system},
    {"referanseEksternNoekkel/noekkel", Role::key_id},
    {"referanseForelderMappe/referanseEksternNoekkel", Role::parent_key_container},
    {"referanseForelderMappe/referanseEksternNoekkel/fagsystem", Role::parent_key_system},
    {"referanseForelderMappe/referanseEksternNoekkel/noekkel", Role::parent_key_id},
};
constexpr std::size_t max_path_length = 3;                                // names below the record element
constexpr int max_tracked_depth = static_cast<int>(max_path_length) + 1;  // root 0, record 1, paths 2..4

/// A wanted path as the names the parser's dictionary interns: matching an element is then a few pointer
/// comparisons instead of building and comparing strings for each of millions of nodes.
struct InternedPath {
  const WantedPath* wanted = nullptr;
  std::size_t length = 0;
  const xmlChar* names[max_path_length] = {};
};

/// The names the extraction compares, interned in one parser context's dictionary.
struct Names {
  std::vector<InternedPath> paths;
  const xmlChar* arkivmelding = nullptr;
  const xmlChar* mappe = nullptr;
  const xmlChar* registrering = nullptr;
};

const xmlChar* intern(xmlDictPtr dict, std::string_view name) {
  return xmlDictLookup(dict, reinterpret_cast<const xmlChar*>(name.data()), static_cast<int>(name.size()));
}

Names intern_names(xmlDictPtr dict) {
  Names n;
  for (const auto& w : wanted_paths) {
    InternedPath p;
    p.wanted = &w;
    std::string_view rest = w.path;
    while (!rest.empty() && p.length < max_path_length) {
      const std::size_t slash = rest.find('/');
      p.names[p.length++] = intern(dict, rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    }
    n.paths.push_back(p);
  }
  n.arkivmelding = intern(dict, "arkivmelding");
  n.mappe = intern(dict, "mappe");
  n.registrering = intern(dict, "registrering");
  return n;
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
  std::array<std::string, leaf_count> values;  // trimmed text by leaf, first wins
  std::uint32_t seen = 0;                      // bit per leaf that has a value
  std::vector<KeyPair> keys;                   // referanseEksternNoekkel
  std::vector<KeyPair> parent_keys;            // referanseForelderMappe/referanseEksternNoekkel
  KeyPair pending;
  KeyPair pending_parent;

  const std::string& get(Leaf leaf) const { return values[static_cast<std::size_t>(leaf)]; }
  void set(Leaf leaf, std::string_view value) {
    const auto bit = std::uint32_t{1} << static_cast<unsigned>(leaf);
    if ((seen & bit) != 0) return;
    seen |= bit;
    values[static_cast<std::size_t>(leaf)] = value;
  }
};
static_assert(leaf_count <= 32, "Record::seen holds one bit per leaf");

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
  try {
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
  } catch (...) {  // out of memory: never unwind through libxml2
    if (sink->fatal.empty()) sink->fatal_line = -1;
  }
}

/// Routes this thread's libxml2 errors (parser and validator alike) to a sink while it lives. Handlers on the
/// parser's SAX block are not used: once a schema is plugged in, libxml2 (2.9) hands them the plug's context.
class ErrorScope {
 public:
  explicit ErrorScope(ErrorSink& sink) { xmlSetStructuredErrorFunc(&sink, on_error); }
  ~ErrorScope() { init_libxml_errors(); }
  ErrorScope(const ErrorScope&) = delete;
  ErrorScope& operator=(const ErrorScope&) = delete;
};

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

/// The root element's name and namespace.
struct Root {
  std::string name;
  std::string ns;
};

/// The stream of one message, reduced to its mappe and registrering records.
struct Extraction {
  std::vector<Record> records;
  std::optional<std::string> refused;  // limits, forbidden node types, broken XML
  std::optional<Root> other_root;      // the root was not an arkivmelding in the V1 namespace
  bool error_before_root = false;      // libxml2 had reported an error when the root's start tag was read
};

/// Handles the end of an element that matched a wanted path.
void end_wanted(Record& r, const WantedPath& w, const std::string& text) {
  const std::string_view value = trim(text);
  switch (w.role) {
    case Role::leaf:
      r.set(w.leaf, value);
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

/// The SAX2 handler's state for one message: libxml2 calls the static members below with it as user data
/// (behind the schema plug when validating). Nothing here builds a node; each callback catches everything,
/// since an exception must never unwind through libxml2's C frames.
class Extractor {
 public:
  Extractor(xmlParserCtxtPtr ctxt, const Names& names, const MessageOptions& options, const ErrorSink& errors)
      : ctxt_(ctxt), names_(names), options_(options), errors_(errors) {}

  Extraction take() { return std::move(ex_); }

  /// The callbacks: no DOM, no entities (an undeclared entity is a well-formedness error without a DTD, and
  /// a DTD never gets this far: check_prolog refuses it).
  static void install(xmlSAXHandler& sax) {
    std::memset(&sax, 0, sizeof sax);
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    sax.endElementNs = on_end;
    sax.characters = on_text;
    sax.ignorableWhitespace = on_text;  // the same function: the parser then never tests for blanks
    sax.cdataBlock = on_text;
    sax.comment = on_comment;
    sax.processingInstruction = on_pi;
    sax.internalSubset = on_forbidden;
    sax.reference = on_forbidden_reference;
  }

 private:
  static Extractor& self(void* ctx) { return *static_cast<Extractor*>(ctx); }

  void refuse(std::string reason) {
    if (!ex_.refused) ex_.refused = std::move(reason);
    xmlStopParser(ctxt_);
  }

  /// False once nothing more is wanted. A root that is not an arkivmelding stops the parse at the event
  /// after its start tag, so that a start tag broken further on is still reported as broken.
  bool count_node() {
    if (ex_.other_root) xmlStopParser(ctxt_);
    if (ex_.refused || ex_.other_root) return false;
    if (++nodes_ > options_.max_nodes) {
      refuse("more than " + std::to_string(options_.max_nodes) + " XML nodes (limit)");
      return false;
    }
    return true;
  }

  static void on_start(void* ctx, const xmlChar* localname, const xmlChar*, const xmlChar* uri, int, const xmlChar**,
                       int nb_attributes, int, const xmlChar** attributes) {
    Extractor& x = self(ctx);
    try {
      x.start(localname, uri, nb_attributes, attributes);
    } catch (...) {
      x.refuse("out of memory while reading the message");
    }
  }

  void start(const xmlChar* name, const xmlChar* uri, int nb_attributes, const xmlChar** attributes) {
    if (!count_node()) return;
    const int depth = ++depth_;
    if (depth > options_.max_depth) {
      refuse("elements nested deeper than " + std::to_string(options_.max_depth) + " levels (limit)");
      return;
    }
    capturing_ = nullptr;
    if (depth == 0) {
      if (name != names_.arkivmelding || uri == nullptr ||
          std::string_view(reinterpret_cast<const char*>(uri)) != arkivmelding_namespace) {
        ex_.other_root = Root{str(name), str(uri)};
        ex_.error_before_root = !errors_.fatal.empty();
      }
      return;
    }
    if (depth > max_tracked_depth) return;
    const auto d = static_cast<std::size_t>(depth);
    stack_[d] = name;
    matched_[d] = nullptr;
    if (depth == 1 && (name == names_.mappe || name == names_.registrering)) {
      if (ex_.records.size() == max_records) {
        refuse("more than " + std::to_string(max_records) + " mappe and registrering elements (limit)");
        return;
      }
      Record r;
      r.element = str(name);
      for (int i = 0; i < nb_attributes; ++i) {
        const xmlChar* const* a = attributes + 5 * i;  // localname, prefix, URI, value, end
        if (a[2] == nullptr || std::strcmp(reinterpret_cast<const char*>(a[0]), "type") != 0 ||
            std::strcmp(reinterpret_cast<const char*>(a[2]), xsi_namespace) != 0) {
          continue;
        }
        r.type = without_prefix(std::string(reinterpret_cast<const char*>(a[3]), a[4] - a[3]));
        break;
      }
      r.line = ctxt_->input != nullptr ? ctxt_->input->line : 0;
      ex_.records.push_back(std::move(r));
      current_ = &ex_.records.back();
    } else if (current_ != nullptr && depth >= 2) {
      for (const auto& p : names_.paths) {
        if (p.length != d - 1 || p.names[p.length - 1] != name) continue;
        if (std::equal(p.names, p.names + p.length, stack_.begin() + 2)) {
          matched_[d] = p.wanted;
          if (p.wanted->role != Role::key_container && p.wanted->role != Role::parent_key_container) {
            capturing_ = p.wanted;
            text_.clear();
          }
          break;
        }
      }
    }
  }

  static void on_end(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    Extractor& x = self(ctx);
    try {
      x.end();
    } catch (...) {
      x.refuse("out of memory while reading the message");
    }
  }

  void end() {
    if (!count_node()) return;
    const int depth = depth_--;
    if (depth >= 1 && depth <= max_tracked_depth) {
      const auto d = static_cast<std::size_t>(depth);
      if (current_ != nullptr && matched_[d] != nullptr) {
        end_wanted(*current_, *matched_[d], text_);
        matched_[d] = nullptr;
      }
    }
    capturing_ = nullptr;
    if (depth == 1) current_ = nullptr;
  }

  static void on_text(void* ctx, const xmlChar* ch, int len) {
    Extractor& x = self(ctx);
    try {
      if (!x.count_node()) return;
      if (x.capturing_ != nullptr && x.text_.size() < max_text_bytes) {
        x.text_.append(reinterpret_cast<const char*>(ch), static_cast<std::size_t>(len));
      }
    } catch (...) {
      x.refuse("out of memory while reading the message");
    }
  }

  static void on_comment(void* ctx, const xmlChar*) { self(ctx).count_node(); }
  static void on_pi(void* ctx, const xmlChar*, const xmlChar*) { self(ctx).count_node(); }
  static void on_forbidden(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
    if (self(ctx).count_node()) self(ctx).refuse("DTDs and entity references are refused");
  }
  static void on_forbidden_reference(void* ctx, const xmlChar*) {
    if (self(ctx).count_node()) self(ctx).refuse("DTDs and entity references are refused");
  }

  xmlParserCtxtPtr ctxt_;
  const Names& names_;
  const MessageOptions& options_;
  const ErrorSink& errors_;
  Extraction ex_;
  int depth_ = -1;                                                  // of the innermost open element; the root is 0
  std::array<const xmlChar*, max_tracked_depth + 1> stack_{};       // local names by depth
  std::array<const WantedPath*, max_tracked_depth + 1> matched_{};  // the wanted path each matched
  Record* current_ = nullptr;
  const WantedPath* capturing_ = nullptr;  // the leaf whose text is being collected
  std::string text_;
  std::size_t nodes_ = 0;
};

/// A parser context kept per thread and reused message after message (libxml2 resets it for each document):
/// setting one up costs more than parsing a small message. Its dictionary keeps every name it has seen, so
/// it is replaced once that grows large (hostile messages full of unique names).
class ThreadParser {
 public:
  ThreadParser() = default;
  ThreadParser(const ThreadParser&) = delete;
  ThreadParser& operator=(const ThreadParser&) = delete;
  ~ThreadParser() { reset(); }

  /// The context, ready for a new document (null when libxml2 cannot allocate one).
  xmlParserCtxtPtr context() {
    if (ctxt_ != nullptr && xmlDictSize(ctxt_->dict) > max_dictionary_names) reset();
    if (ctxt_ == nullptr) {
      ctxt_ = xmlNewParserCtxt();
      if (ctxt_ == nullptr) return nullptr;
      Extractor::install(*ctxt_->sax);
      names_ = intern_names(ctxt_->dict);
    }
    return ctxt_;
  }
  const Names& names() const { return names_; }

 private:
  static constexpr int max_dictionary_names = 20'000;

  void reset() {
    if (ctxt_ != nullptr) xmlFreeParserCtxt(ctxt_);
    ctxt_ = nullptr;
  }

  xmlParserCtxtPtr ctxt_ = nullptr;
  Names names_;
};

/// The parser's line where the validator reports a violation: for an element's start, the line its start
/// tag ends on, which is where libxml2 puts an element built from the same events.
int locate(void* ctx, const char** file, unsigned long* line) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  if (file != nullptr) *file = nullptr;
  if (line != nullptr) *line = ctxt->input != nullptr ? static_cast<unsigned long>(ctxt->input->line) : 0;
  return 0;
}

/// Plugs a validation context into a parser context's SAX stream while it lives (libxml2's streaming
/// validation, as the text reader uses it); the unplug clears the context for the next document.
class SchemaPlug {
 public:
  SchemaPlug(xmlSchemaValidCtxtPtr vctxt, xmlParserCtxtPtr ctxt) {
    xmlSchemaValidateSetLocator(vctxt, locate, ctxt);
    plug_ = xmlSchemaSAXPlug(vctxt, &ctxt->sax, &ctxt->userData);
  }
  ~SchemaPlug() {
    if (plug_ != nullptr) xmlSchemaSAXUnplug(plug_);
  }
  SchemaPlug(const SchemaPlug&) = delete;
  SchemaPlug& operator=(const SchemaPlug&) = delete;
  explicit operator bool() const { return plug_ != nullptr; }

 private:
  xmlSchemaSAXPlugPtr plug_ = nullptr;
};

/// Points a reset parser context at a copy of the bytes (libxml2 converts UTF-16 as it goes). Not a static
/// buffer (xmlParserInputBufferCreateStatic): with libxml2 2.9.14's pull parser, messages read from one came
/// out garbled (a root start tag seen as <ar>); the copy is one memcpy per message.
bool start_document(xmlParserCtxtPtr ctxt, std::string_view bytes) {
  xmlCtxtReset(ctxt);
  xmlParserInputBufferPtr buffer =
      xmlParserInputBufferCreateMem(bytes.data(), static_cast<int>(bytes.size()), XML_CHAR_ENCODING_NONE);
  if (buffer == nullptr) return false;
  xmlParserInputPtr input = xmlNewIOInputStream(ctxt, buffer, XML_CHAR_ENCODING_NONE);
  if (input == nullptr) {
    xmlFreeParserInputBuffer(buffer);
    return false;
  }
  if (inputPush(ctxt, input) < 0) {
    xmlFreeInputStream(input);
    return false;
  }
  xmlCtxtUseOptions(ctxt, parse_options);
  return true;
}

/// One SAX2 pass over a message with the schema (if any) plugged in.
Extraction extract(std::string_view bytes, const MessageOptions& options, xmlSchemaValidCtxtPtr vctxt,
                   ErrorSink& sink) {
  thread_local ThreadParser parser;
  Extraction failed;
  xmlParserCtxtPtr ctxt = parser.context();
  if (ctxt == nullptr || !start_document(ctxt, bytes)) {
    failed.refused = "cannot start the XML parser";
    return failed;
  }
  Extractor extractor(ctxt, parser.names(), options, sink);
  ctxt->userData = &extractor;
  {
    std::optional<SchemaPlug> plug;
    if (vctxt != nullptr) {
      plug.emplace(vctxt, ctxt);
      if (!*plug) {
        ctxt->userData = ctxt;
        failed.refused = "cannot attach the XSD to the parser";
        return failed;
      }
    }
    xmlParseDocument(ctxt);
  }
  const bool well_formed = ctxt->wellFormed != 0;
  ctxt->userData = ctxt;
  xmlCtxtReset(ctxt);  // lets go of the message's bytes

  Extraction ex = extractor.take();
  if (ex.refused) return ex;
  // Another message type is named as such, as when the prolog scan reads its root, unless the root's own
  // start tag turned out broken (unterminated, say) after its name was read.
  if (ex.other_root && (ex.error_before_root || sink.fatal.empty())) return ex;
  if (sink.fatal.find("Excessive depth") != std::string::npos) {
    ex.refused = "elements nested deeper than " + std::to_string(options.max_depth) + " levels (limit)";
  } else if (!well_formed || !sink.fatal.empty() || sink.fatal_line < 0) {
    std::string reason = "not well-formed XML";
    if (sink.fatal_line > 0) reason += " (line " + std::to_string(sink.fatal_line) + ")";
    if (!sink.fatal.empty()) reason += ": " + sink.fatal;
    ex.refused = std::move(reason);
  }
  return ex;
}

/// Names a namespace's message type for people: the official type name when the schema folder knows it.
std::string describe_type(const Root& root, const MessageOptions& options) {
  std::string type = options.schemas != nullptr ? options.schemas->message_type(root.ns) : std::string();
  std::string out = type.empty() ? "an unknown message type" : "message type " + type;
  out += " (root element <" + root.name + ">";
  out += root.ns.empty() ? ", no namespace)" : ", namespace " + root.ns + ")";
  return out;
}

/// Why a message with this root is not mapped; nullopt for an arkivmelding in the V1 namespace.
std::optional<std::string> refuse_root(const Root& root, const MessageOptions& options) {
  if (root.name == "arkivmelding" && root.ns != arkivmelding_namespace) {
    return "an arkivmelding in namespace '" + root.ns + "' is not mapped: only Fiks Arkiv V1 (" +
           std::string(arkivmelding_namespace) + ") is; older Noark 5 or Fiks arkivintegrasjon messages are not";
  }
  if (root.ns != arkivmelding_namespace || root.name != "arkivmelding") {
    return describe_type(root, options) + " is not mapped: only arkivmelding messages (" +
           std::string(arkivmelding_message_type) + ") carry cases for the roadmap";
  }
  return std::nullopt;
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
    const std::string& title = r.get(Leaf::tittel);
    if (title.empty()) {
      skipped.push_back("saksmappe at line " + std::to_string(r.line) + " has no tittel");
      return std::nullopt;
    }
    const std::string number = case_number(r.get(Leaf::saksaar), r.get(Leaf::sakssekvensnummer));
    const std::string& system_id = r.get(Leaf::system_id);
    const std::string first_key = r.keys.empty() ? std::string() : r.keys.front().id;
    Decision d;
    // A new case has no number yet; its systemID or the caller's key still tell decisions apart.
    d.case_number = first_non_empty({number, system_id, first_key, r.get(Leaf::mappe_id)});
    if (d.case_number.empty()) {
      skipped.push_back("saksmappe at line " + std::to_string(r.line) +
                        " has no saksaar/sakssekvensnummer, systemID or referanseEksternNoekkel");
      return std::nullopt;
    }
    d.title = title;
    d.date = iso_date(r.get(Leaf::saksdato));
    d.status = status_text(r.get(Leaf::saksstatus_kode), r.get(Leaf::saksstatus_beskrivelse), case_status_description);
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
    const std::string& title = r.get(Leaf::tittel);
    if (title.empty()) {
      skipped.push_back(r.type + " at line " + std::to_string(r.line) + " has no tittel");
      return std::nullopt;
    }
    std::string own_number;
    std::optional<std::string> date;
    std::optional<std::string> status;
    if (r.type == "journalpost") {
      own_number = case_number(r.get(Leaf::journalaar), r.get(Leaf::journalsekvensnummer));
      date = iso_date(r.get(Leaf::journaldato));
      status = status_text(r.get(Leaf::journalstatus_kode), r.get(Leaf::journalstatus_beskrivelse),
                           journal_status_description);
    } else if (r.type == "moetesak") {
      own_number = case_number(r.get(Leaf::moetesaksaar), r.get(Leaf::moetesakssekvensnummer));
      date = iso_date(r.get(Leaf::vedtak_dato));
    }
    std::string parent_case = case_number(r.get(Leaf::parent_saksaar), r.get(Leaf::parent_sakssekvensnummer));
    if (parent_case.empty() && in_message_case != nullptr) {
      parent_case = case_number(in_message_case->get(Leaf::saksaar), in_message_case->get(Leaf::sakssekvensnummer));
    }
    const std::string& system_id = r.get(Leaf::system_id);
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
  // The prolog scan names the root of a plain start tag, so that another message type costs no parse; for
  // other tags the parse below checks the root before anything else.
  if (tag.found) {
    if (auto other = refuse_root(Root{std::move(tag.name), std::move(tag.ns)}, options)) return refuse(*other);
  }

  ErrorSink sink;
  sink.max_violations = std::max<std::size_t>(options.max_warnings, 5);
  ErrorScope scope(sink);
  SchemaValidator validator;
  std::string schema_file;
  if (options.schemas != nullptr) {
    auto lent = options.schemas->validator(arkivmelding_namespace);
    if (!lent) return refuse(lent.error().message);
    validator = std::move(*lent);
    schema_file = options.schemas->message_type(arkivmelding_namespace) + ".xsd";
  }
  Extraction ex = extract(bytes, options, validator.get(), sink);
  if (ex.refused) return refuse(*ex.refused);  // limits and broken XML first, as before the root is known
  if (ex.other_root) {
    if (auto other = refuse_root(*ex.other_root, options)) return refuse(*other);
  }

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
