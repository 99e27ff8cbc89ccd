#include "adapters/common/http_json.hpp"

#include <algorithm>
#include <cctype>

namespace veikart::adapters {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The first characters of a body for an error message, on one line.
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 120)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (body.size() > 120) out += "…";
  return out;
}

}  // namespace

std::string for_messages(std::string_view url) {
  const std::size_t q = url.find('?');
  return q == std::string_view::npos ? std::string(url) : std::string(url.substr(0, q)) + "?…";
}

std::string describe_status(const FetchResponse& response, std::string_view url) {
  std::string out = "HTTP " + std::to_string(response.status) + " from " + for_messages(url);
  if (const std::string retry = response.header("retry-after"); !retry.empty()) {
    out += " (Retry-After: " + retry.substr(0, 40) + ")";
  }
  if (!response.body.empty()) out += ": " + excerpt(response.body);
  return out;
}

Expected<Json> json_body(const FetchResponse& response, std::string_view url,
                         const std::vector<std::string>& also_accepted) {
  if (response.status != 200) {
    Error error{describe_status(response, url), response.status};
    error.retry_after = parse_retry_after(response.header("retry-after"), std::chrono::system_clock::now());
    return error;
  }
  const std::string raw_type = response.header("content-type");
  std::string type = lower(raw_type.substr(0, raw_type.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }), type.end());
  const bool json = type == "application/json" || (type.starts_with("application/") && type.ends_with("+json")) ||
                    std::find(also_accepted.begin(), also_accepted.end(), type) != also_accepted.end();
  if (!json) {
    return Error{"unexpected content type '" + raw_type.substr(0, 80) + "' from " + for_messages(url) +
                 " (expected JSON): " + excerpt(response.body)};
  }
  try {
    return Json::parse(response.body);
  } catch (const Json::parse_error& e) {
    return Error{"invalid or truncated JSON from " + for_messages(url) + " (" + std::to_string(response.body.size()) +
                 " bytes, error at byte " + std::to_string(e.byte) + ")"};
  } catch (const Json::exception&) {  // e.g. a number out of range ("1e999")
    return Error{"invalid JSON from " + for_messages(url) + ": a number out of range"};
  }
}

std::string query_escape(std::string_view value) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string with_query(std::string url, std::string_view name, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += query_escape(name) + "=" + query_escape(value);
  return url;
}

Expected<bool> PageWalk::enter(const std::string& url) {
  if (seen_.count(url)) {
    return Error{"paging loops: " + for_messages(url) + " was already read in this run (after " +
                 std::to_string(seen_.size()) + " pages)"};
  }
  if (static_cast<int>(seen_.size()) >= max_pages_) {
    return Error{"more than " + std::to_string(max_pages_) + " pages (max_pages); stopped before " + for_messages(url)};
  }
  seen_.insert(url);
  return true;
}

}  // namespace veikart::adapters
