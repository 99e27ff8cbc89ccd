#pragma once
/// @brief Outgoing HTTP as pulling adapters and webhook delivery see it: one request in, one response or an
/// error out. The implementation (gateway/http/client.*, Beast + OpenSSL) is handed in, so adapters never
/// include Beast and tests can point them at fake upstreams.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/core/expected.hpp"

namespace veikart {

struct FetchRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Names of headers whose values are secrets (never logged or put into error messages). `Authorization`
  /// and `Cookie` always are.
  std::vector<std::string> secret_headers = {};
  /// Overrides the client's total timeout for this request when not zero.
  std::chrono::milliseconds timeout{0};
};

struct FetchResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;                                          // content-decoded (gzip undone)
  std::string url;                                           // the URL that answered (after redirects)

  /// The first header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
};

/// Seconds to wait from a Retry-After value (delta-seconds or an IMF-fixdate); nullopt when unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

/// Sends HTTP requests. A response with any status is a value; an error means no complete response was had:
/// the URL or address was refused, DNS, connect, TLS, a timeout, a body over the size cap, a malformed
/// response or a redirect to another origin. Error::message says which, without secrets.
class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  virtual boost::asio::awaitable<Expected<FetchResponse>> fetch(FetchRequest request) = 0;
};

/// The parts of an absolute URL that requests need.
struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // without brackets for IPv6 literals
  std::string port;    // explicit or the scheme's default
  std::string target;  // path and query, at least "/"

  /// scheme://host:port, for same-origin checks and messages.
  std::string origin() const;
};

/// Parses an absolute http(s) URL; userinfo and fragments are refused.
Expected<Url> parse_url(std::string_view url);

/// Resolves a reference (absolute URL, "/path", "path" or "?query") against a base URL (RFC 3986, without
/// dot-segment removal beyond what servers need).
Expected<std::string> resolve_url(std::string_view base, std::string_view reference);

/// True for addresses a public-only client may connect to ("93.184.216.34", "2606:2800::1"); false for
/// loopback, private, link-local, CGNAT, documentation, multicast and reserved ranges, and for non-addresses.
bool is_public_address(std::string_view address);

}  // namespace veikart
