#pragma once
/// @brief JSON Schema validation (valijson) with errors as JSON pointers and reasons.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/adapter.hpp"

namespace veikart {

class JsonSchema {
 public:
  /// Parses a schema document; throws std::invalid_argument on a broken schema (a programming error).
  explicit JsonSchema(std::string_view schema_text);
  ~JsonSchema();
  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;

  /// Validates a document; each problem's `where` is a JSON pointer into the document.
  std::vector<Issue> validate(const Json& document) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The canonical item schema (schemas/roadmap-item.schema.json), parsed once.
const JsonSchema& roadmap_item_schema();

/// The same schema for a fragment: every field optional, no gateway-owned fields.
const JsonSchema& fragment_schema();

}  // namespace veikart
