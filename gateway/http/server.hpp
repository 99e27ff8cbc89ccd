#pragma once
/// @brief The HTTP/1.1 front on Boost.Beast: accepts connections, enforces limits, hands each complete request to
/// a handler on the blocking pool and writes the response. Knows nothing about routes or sources.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "gateway/config/config.hpp"
#include "gateway/http/http_types.hpp"

namespace boost::asio {
class io_context;
class thread_pool;
}  // namespace boost::asio

namespace veikart {

class Metrics;

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  /// `io` runs the sockets; `blocking` runs the handler (store reads may block).
  HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& blocking, Handler handler, Limits limits,
             Metrics* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Requests for which this answers true may carry bodies up to limits.push_body_bytes; all others keep
  /// limits.max_body_bytes. Asked once the request line and headers are in, before any body byte is read.
  void set_push_routes(std::function<bool(std::string_view method, std::string_view path)> is_push);

  /// Serves HTTPS only, with Strict-Transport-Security on every response. Throws std::runtime_error naming
  /// the setting when the certificate or key cannot be used. Call before listen().
  void set_tls(const TlsSettings& settings);

  /// Binds and listens; throws std::runtime_error naming the address when that fails.
  void listen(const std::string& host, std::uint16_t port);
  /// The bound port (useful with port 0).
  std::uint16_t port() const;
  /// Stops accepting; open connections finish their current request and close.
  void stop();
  /// Connections still open.
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace veikart
