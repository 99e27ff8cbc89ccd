#pragma once
/// @brief The `fiks-arkiv` source: Fiks Arkiv arkivmelding messages from a file-drop folder or pushed.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/fiks_arkiv/message.hpp"
#include "adapters/fiks_arkiv/schema_set.hpp"
#include "gateway/core/adapter.hpp"

namespace veikart::adapters::fiks_arkiv {

struct FiksArkivOptions {
  std::optional<std::filesystem::path> path;  // the file-drop folder (absolute); absent for push-only sources
  std::shared_ptr<SchemaSet> schemas;
  MessageOptions message;  // mode, limits, names; message.schemas points into `schemas`
  /// Threads reading a folder's messages at once; 0: the machine's hardware threads, at most 4.
  unsigned threads = 0;
};

/// Reads a source's config (checked against schemas/source-fiks-arkiv.schema.json) and opens its schema
/// folder; fails with a clear message when the folder does not hold the Fiks Arkiv XSDs.
Expected<FiksArkivOptions> parse_options(const SourceConfig& config);

/// Reads every *.xml file of a folder in name order (or the files PullContext names) as one snapshot
/// batch; a bad file is rejected as a whole and the others are kept. The messages are independent, so
/// several threads read them at once (FiksArkivOptions::threads); the results still reach the batch, and
/// PullContext::sink, in file order and only on the calling thread, with a small window of messages in
/// flight rather than the whole folder.
class FiksArkivAdapter final : public BlockingSourceAdapter {
 public:
  explicit FiksArkivAdapter(FiksArkivOptions options) : options_(std::move(options)) {}
  Expected<Batch> read(PullContext& ctx) override;

 private:
  FiksArkivOptions options_;
};

/// Parses one pushed message (application/xml, text/xml or application/*+xml).
class FiksArkivParser final : public PayloadParser {
 public:
  explicit FiksArkivParser(FiksArkivOptions options) : options_(std::move(options)) {}
  Expected<Batch> parse(std::string_view body, std::string_view media_type, const Reference& reference) override;

 private:
  FiksArkivOptions options_;
};

/// True for the media types a message may be pushed with; parameters (charset) are ignored.
bool is_xml_media_type(std::string_view media_type);

/// The registry's factories for `type: fiks-arkiv`.
Expected<std::unique_ptr<SourceAdapter>> make_fiks_arkiv_adapter(const SourceConfig& config);
Expected<std::unique_ptr<PayloadParser>> make_fiks_arkiv_parser(const SourceConfig& config);

}  // namespace veikart::adapters::fiks_arkiv
