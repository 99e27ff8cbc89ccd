#pragma once
/// @brief Plain request/response types between the Beast front and the API handlers, so that handlers and
/// their tests never instantiate Beast templates.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace veikart {

struct HttpRequest {
  std::string method;                                        // upper case, e.g. "GET"
  std::string target;                                        // as received, e.g. "/v1/roadmap?network=digi-agder"
  std::string path;                                          // percent-decoded path
  std::multimap<std::string, std::string> query;             // percent-decoded, '+' as space
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::string remote_address;

  /// The first header with this name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
  std::optional<std::string> query_one(std::string_view name) const;
  /// Every value of a repeatable parameter, with comma-separated values split.
  std::vector<std::string> query_list(std::string_view name) const;
};

/// A response body produced over time (Server-Sent Events). After the headers the server calls next() on the
/// blocking pool and writes what it returns, again and again, pausing briefly after an empty chunk, until done,
/// the client leaves, a write does not complete in time (a consumer too slow to keep up), or the server stops.
class ResponseStream {
 public:
  struct Chunk {
    std::string data;
    bool done = false;
  };
  virtual ~ResponseStream() = default;
  virtual Chunk next() = 0;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<ResponseStream> stream;  // when set, the body is streamed and `body` is ignored

  void set_header(std::string name, std::string value);
  std::string header(std::string_view name) const;
};

/// Decodes %XX escapes (and '+' as space when asked); invalid escapes are kept as written.
std::string percent_decode(std::string_view s, bool plus_as_space);

/// Fills method-independent parts of a request from a raw target.
void parse_target(HttpRequest& request, std::string_view target);

/// Reason phrase for a status code.
std::string_view status_reason(int status);

/// Compresses with gzip (RFC 1952).
std::string gzip_compress(std::string_view data);
/// Decompresses gzip (or zlib) data; nullopt when it is corrupt, truncated or would exceed max_bytes.
std::optional<std::string> gzip_decompress(std::string_view data, std::size_t max_bytes);

/// Standard base64url without padding, and its inverse (nullopt on bad input).
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);
/// Standard base64 with padding (RFC 4648 section 4), and its inverse (nullopt on bad input).
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace veikart
