#pragma once
/// @brief Parsing JSON from untrusted bodies: nesting depth is checked before the parser runs, so a body nested
/// 100,000 deep can neither exhaust the stack (recursive dumping, schema validation) nor memory.

#include <cstddef>
#include <string_view>

#include "gateway/core/expected.hpp"
#include "gateway/core/model.hpp"

namespace veikart {

/// The deepest nesting a pushed JSON body may have.
constexpr std::size_t kMaxJsonDepth = 64;

/// Parses `text` as JSON; an Error (status 400) names the byte where the text is not JSON, is nested deeper
/// than `max_depth`, or is not UTF-8.
Expected<Json> parse_untrusted_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace veikart
