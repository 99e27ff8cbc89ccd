#pragma once
/// @brief RFC 9457 problem details (every error the API returns) and plain JSON answers.

#include <string>
#include <vector>

#include "gateway/core/adapter.hpp"
#include "gateway/http/http_types.hpp"

namespace veikart {

/// A problem+json response. `slug` names the problem type (urn:veikart:problem:<slug>); each error's key is
/// "pointer", "row" or "element" (see `error_key`) with the reason.
HttpResponse problem(int status, std::string_view slug, std::string_view title, std::string_view detail,
                     const std::vector<Issue>& errors = {}, std::string_view error_key = "pointer");

/// A JSON response (application/json); invalid UTF-8 in strings is replaced, never thrown on.
HttpResponse json_response(const Json& body, int status = 200);

}  // namespace veikart
