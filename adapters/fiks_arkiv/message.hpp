#pragma once
/// @brief One Fiks Arkiv message (bytes) → the fragments of its case and registration, streamed, never a DOM.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/common/archive.hpp"
#include "adapters/fiks_arkiv/schema_set.hpp"
#include "gateway/core/adapter.hpp"

namespace veikart::adapters::fiks_arkiv {

enum class Mode { strict, lenient };

struct MessageOptions {
  std::string source_name;
  std::string archive_system;  // the system named in the case-number external id
  Mode mode = Mode::strict;
  std::size_t max_bytes = 20u << 20;
  int max_depth = 200;  // below libxml2's own 256 so that the reason is ours
  std::size_t max_nodes = 1'000'000;
  std::size_t max_warnings = 50;  // schema violations listed per message; the rest are counted
  SchemaSet* schemas = nullptr;   // null: no XSD validation (fuzzing)
};

/// What one message gave: fragments and warnings, or the reason it was refused as a whole.
struct MessageResult {
  std::vector<Fragment> fragments;
  std::vector<Issue> warnings;
  std::optional<Issue> rejected;
};

/// Reads one message. `label` names it in every `where` (a file name, or "message" for a push). Never
/// throws for bad input.
MessageResult read_message(std::string_view bytes, const MessageOptions& options, std::string_view label);

/// The official description of a status code (code lists saksstatus, journalstatus,
/// moeteregistreringsstatus in Schema/V1/kodelister); nullopt for unknown codes. The saksstatus list is shared
/// with the Noark 5 adapter (adapters/common/archive.hpp).
using adapters::case_status_description;
std::optional<std::string> journal_status_description(std::string_view code);

}  // namespace veikart::adapters::fiks_arkiv
