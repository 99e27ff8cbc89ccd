#pragma once
/// @brief The official Fiks Arkiv XSDs of one folder: namespace → message type, each schema parsed once.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/core/expected.hpp"

struct _xmlSchema;
struct _xmlSchemaValidCtxt;

namespace veikart::adapters::fiks_arkiv {

class SchemaSet;

/// A validation context for one compiled schema, lent by its SchemaSet and given back when this goes.
/// libxml2 reuses a context for document after document (each SAX plug starts it afresh and each unplug
/// clears it) but a context must not be used by two threads at once, so each reader borrows its own.
class SchemaValidator {
 public:
  SchemaValidator() = default;
  SchemaValidator(SchemaValidator&& other) noexcept { swap(other); }
  SchemaValidator& operator=(SchemaValidator&& other) noexcept {
    SchemaValidator(std::move(other)).swap(*this);
    return *this;
  }
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;
  ~SchemaValidator();

  _xmlSchemaValidCtxt* get() const { return ctxt_; }

 private:
  friend class SchemaSet;
  SchemaValidator(SchemaSet* set, _xmlSchema* schema, _xmlSchemaValidCtxt* ctxt)
      : set_(set), schema_(schema), ctxt_(ctxt) {}
  void swap(SchemaValidator& other) noexcept {
    std::swap(set_, other.set_);
    std::swap(schema_, other.schema_);
    std::swap(ctxt_, other.ctxt_);
  }

  SchemaSet* set_ = nullptr;
  _xmlSchema* schema_ = nullptr;
  _xmlSchemaValidCtxt* ctxt_ = nullptr;
};

/// Namespace of the one message type Veikart maps.
inline constexpr std::string_view arkivmelding_namespace =
    "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1";
inline constexpr std::string_view arkivmelding_message_type = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett";

/// The XSDs of a schema folder. The namespace map is read at creation (each file's targetNamespace); a
/// schema is compiled the first time it is needed and kept: compiling is costly, and a compiled schema is
/// only read while validating, so threads share it, each validating with its own context (libxml2's
/// thread-safety notes list validation among the parts checked for concurrent use, given that xmlInitParser
/// ran first and no two threads share a context or a document).
class SchemaSet {
 public:
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  /// Reads `folder` (compiling the arkivmelding schema at once so that a broken folder fails early).
  /// The same folder gives the same set while any user holds it.
  static Expected<std::shared_ptr<SchemaSet>> open(const std::filesystem::path& folder);

  /// The message type a namespace belongs to, from the XSD's file name ("no.ks.fiks.arkiv.v1.innsyn.sok");
  /// empty when no XSD in the folder declares it.
  std::string message_type(std::string_view ns) const;

  /// The compiled schema for a namespace, or an error naming the file that failed.
  Expected<_xmlSchema*> schema(std::string_view ns);

  /// A validation context for the namespace's schema: an idle one when there is one, else a new one. It goes
  /// back to the set when the returned object does, so a folder read by N threads needs N contexts, not one
  /// per message.
  Expected<SchemaValidator> validator(std::string_view ns);

  const std::filesystem::path& folder() const { return folder_; }

 private:
  explicit SchemaSet(std::filesystem::path folder) : folder_(std::move(folder)) {}
  friend class SchemaValidator;
  void give_back(_xmlSchema* schema, _xmlSchemaValidCtxt* ctxt);

  std::filesystem::path folder_;
  std::map<std::string, std::filesystem::path, std::less<>> files_;  // namespace → XSD
  std::mutex mutex_;
  std::map<std::string, _xmlSchema*, std::less<>> compiled_;
  std::vector<std::pair<_xmlSchema*, _xmlSchemaValidCtxt*>> idle_;  // validation contexts not lent out
};

}  // namespace veikart::adapters::fiks_arkiv
