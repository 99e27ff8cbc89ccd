#pragma once
/// @brief What the pulling adapters share: reading a JSON answer (status, media type, body) with messages that
/// say which URL and why, percent-encoding query values, and a guard for paged walks (loops, page limits).

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/expected.hpp"
#include "gateway/core/fetch.hpp"
#include "gateway/core/model.hpp"

namespace veikart::adapters {

/// A URL for run errors and logs: without its query, which may hold what should not be logged.
std::string for_messages(std::string_view url);

/// "HTTP 503 from https://host/api (Retry-After: 5): <start of the body>", for run errors.
std::string describe_status(const FetchResponse& response, std::string_view url);

/// The body of a 200 answer as JSON. Refuses other statuses, a media type that is not JSON (application/json,
/// application/*+json or one of `also_accepted`) and invalid or truncated JSON, naming the URL and the byte offset.
Expected<Json> json_body(const FetchResponse& response, std::string_view url,
                         const std::vector<std::string>& also_accepted = {});

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string query_escape(std::string_view value);

/// Appends "name=value" (value escaped) to a URL's query.
std::string with_query(std::string url, std::string_view name, std::string_view value);

/// Follows a chain of pages: refuses a URL seen before (a `next` link that loops) and more than max_pages pages.
class PageWalk {
 public:
  explicit PageWalk(int max_pages) : max_pages_(max_pages) {}
  /// Call before fetching each page; an error says why the walk must stop.
  Expected<bool> enter(const std::string& url);
  int pages() const { return static_cast<int>(seen_.size()); }

 private:
  int max_pages_;
  std::set<std::string> seen_;
};

}  // namespace veikart::adapters
