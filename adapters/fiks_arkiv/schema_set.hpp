#pragma once
/// @brief The official Fiks Arkiv XSDs of one folder: namespace → message type, each schema parsed once.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/core/expected.hpp"

struct _xmlSchema;

namespace veikart::adapters::fiks_arkiv {

/// Namespace of the one message type Veikart maps.
inline constexpr std::string_view arkivmelding_namespace =
    "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1";
inline constexpr std::string_view arkivmelding_message_type = "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett";

/// The XSDs of a schema folder. The namespace map is read at creation (each file's targetNamespace); a
/// schema is compiled the first time it is needed and kept: compiling is costly, and a compiled schema
/// may be shared by threads, each validating with its own context.
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

  const std::filesystem::path& folder() const { return folder_; }

 private:
  explicit SchemaSet(std::filesystem::path folder) : folder_(std::move(folder)) {}

  std::filesystem::path folder_;
  std::map<std::string, std::filesystem::path, std::less<>> files_;  // namespace → XSD
  std::mutex mutex_;
  std::map<std::string, _xmlSchema*, std::less<>> compiled_;
};

}  // namespace veikart::adapters::fiks_arkiv
