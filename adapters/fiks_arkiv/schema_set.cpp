#include "adapters/fiks_arkiv/schema_set.hpp"

#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include <algorithm>
#include <vector>

#include "adapters/fiks_arkiv/xml_guard.hpp"

namespace veikart::adapters::fiks_arkiv {
namespace {

namespace fs = std::filesystem;

/// The targetNamespace of an XSD, read with a reader that stops at the root element.
std::string target_namespace(const fs::path& file) {
  std::string ns;
  xmlTextReaderPtr reader = xmlReaderForFile(file.c_str(), nullptr, XML_PARSE_NONET);
  if (reader == nullptr) return ns;
  while (xmlTextReaderRead(reader) == 1) {
    if (xmlTextReaderNodeType(reader) != XML_READER_TYPE_ELEMENT) continue;
    if (xmlChar* v = xmlTextReaderGetAttribute(reader, BAD_CAST "targetNamespace")) {
      ns = reinterpret_cast<const char*>(v);
      xmlFree(v);
    }
    break;
  }
  xmlFreeTextReader(reader);
  return ns;
}

struct SchemaErrors {
  std::string first;
};

void collect_schema_error(void* ctx, xmlErrorPtr err) {
  auto* errors = static_cast<SchemaErrors*>(ctx);
  if (err == nullptr || err->level < XML_ERR_ERROR || !errors->first.empty() || err->message == nullptr) return;
  errors->first = err->message;
  while (!errors->first.empty() && (errors->first.back() == '\n' || errors->first.back() == ' ')) {
    errors->first.pop_back();
  }
  if (err->file != nullptr) errors->first += std::string(" (") + err->file + ":" + std::to_string(err->line) + ")";
}

std::mutex registry_mutex;
std::map<fs::path, std::weak_ptr<SchemaSet>>& registry() {
  static std::map<fs::path, std::weak_ptr<SchemaSet>> sets;
  return sets;
}

/// Idle validation contexts kept per set; more are freed when given back (a burst of pushes on many threads
/// should not pin a context per thread forever).
constexpr std::size_t max_idle_validators = 16;

}  // namespace

SchemaValidator::~SchemaValidator() {
  if (ctxt_ != nullptr) set_->give_back(schema_, ctxt_);
}

SchemaSet::~SchemaSet() {
  for (auto& [schema, ctxt] : idle_) xmlSchemaFreeValidCtxt(ctxt);
  for (auto& [ns, schema] : compiled_) xmlSchemaFree(schema);
}

Expected<std::shared_ptr<SchemaSet>> SchemaSet::open(const fs::path& folder) {
  init_libxml();
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(folder, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return Error{"schema_dir '" + folder.string() + "' is not a folder (it should hold the Fiks Arkiv V1 XSDs)"};
  }
  std::lock_guard lock(registry_mutex);
  if (auto existing = registry()[canonical].lock()) return existing;

  allow_schema_folder(canonical);
  std::shared_ptr<SchemaSet> set(new SchemaSet(canonical));
  std::vector<fs::path> xsds;
  for (const auto& entry : fs::directory_iterator(canonical, ec)) {
    if (entry.path().extension() == ".xsd") xsds.push_back(entry.path());
  }
  std::sort(xsds.begin(), xsds.end());
  for (const auto& xsd : xsds) {
    std::string ns = target_namespace(xsd);
    // Shared type libraries declare namespaces too; a message's own XSD is the one named after a type.
    if (ns.empty() || !xsd.filename().string().starts_with("no.ks.fiks.")) continue;
    set->files_.emplace(std::move(ns), xsd);
  }
  if (!set->files_.contains(arkivmelding_namespace)) {
    return Error{"schema_dir '" + folder.string() + "' holds no XSD for " + std::string(arkivmelding_namespace) +
                 " (expected " + std::string(arkivmelding_message_type) +
                 ".xsd from ks-no/fiks-arkiv-specification Schema/V1)"};
  }
  if (auto s = set->schema(arkivmelding_namespace); !s) return s.error();
  registry()[canonical] = set;
  return set;
}

std::string SchemaSet::message_type(std::string_view ns) const {
  auto it = files_.find(ns);
  if (it == files_.end()) return {};
  return it->second.stem().string();
}

Expected<xmlSchemaPtr> SchemaSet::schema(std::string_view ns) {
  std::lock_guard lock(mutex_);
  if (auto it = compiled_.find(ns); it != compiled_.end()) return it->second;
  auto file = files_.find(ns);
  if (file == files_.end()) return Error{"no XSD in '" + folder_.string() + "' for namespace " + std::string(ns)};
  init_libxml();
  SchemaErrors errors;
  xmlSchemaParserCtxtPtr parser = xmlSchemaNewParserCtxt(file->second.c_str());
  if (parser == nullptr) return Error{"cannot read '" + file->second.string() + "'"};
  xmlSchemaSetParserStructuredErrors(parser, collect_schema_error, &errors);
  xmlSchemaPtr schema = xmlSchemaParse(parser);
  xmlSchemaFreeParserCtxt(parser);
  if (schema == nullptr) {
    return Error{"cannot compile '" + file->second.string() +
                 "': " + (errors.first.empty() ? std::string("unknown error") : errors.first)};
  }
  compiled_.emplace(std::string(ns), schema);
  return schema;
}

Expected<SchemaValidator> SchemaSet::validator(std::string_view ns) {
  auto schema = this->schema(ns);
  if (!schema) return schema.error();
  {
    std::lock_guard lock(mutex_);
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if (it->first != *schema) continue;
      SchemaValidator lent(this, it->first, it->second);
      idle_.erase(std::next(it).base());
      return lent;
    }
  }
  xmlSchemaValidCtxtPtr ctxt = xmlSchemaNewValidCtxt(*schema);
  if (ctxt == nullptr) return Error{"cannot create a validation context for " + message_type(ns)};
  return SchemaValidator(this, *schema, ctxt);
}

void SchemaSet::give_back(xmlSchemaPtr schema, xmlSchemaValidCtxtPtr ctxt) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < max_idle_validators) {
      idle_.emplace_back(schema, ctxt);
      return;
    }
  }
  xmlSchemaFreeValidCtxt(ctxt);
}

}  // namespace veikart::adapters::fiks_arkiv
