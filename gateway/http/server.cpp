// The only translation unit that instantiates Beast's HTTP templates. One coroutine per connection, running
// on its own strand; expected network outcomes come back as values, not exceptions.

#include "gateway/http/server.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>

#include "gateway/api/metrics.hpp"
#include "gateway/core/crypto.hpp"

namespace veikart {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// How often an idle stream asks its source for more, and how long one write may take before the consumer is
// considered too slow and cut off.
constexpr auto kStreamPollInterval = std::chrono::milliseconds(200);
constexpr auto kStreamWriteTimeout = std::chrono::seconds(30);

HttpRequest to_request(const http::request<http::string_body>& in, const std::string& remote) {
  HttpRequest r;
  r.method = std::string(in.method_string());
  parse_target(r, std::string_view(in.target().data(), in.target().size()));
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = in.body();
  r.remote_address = remote;
  return r;
}

constexpr const char* kHsts = "max-age=31536000";

http::response<http::string_body> to_beast(HttpResponse&& in, unsigned version, bool keep_alive, bool head, bool tls) {
  http::response<http::string_body> out{static_cast<http::status>(in.status), version};
  out.set(http::field::server, "veikart");
  if (tls) out.set(http::field::strict_transport_security, kHsts);
  for (auto& [k, v] : in.headers) out.set(k, v);
  const std::size_t size = in.body.size();
  out.body() = head ? std::string() : std::move(in.body);
  out.keep_alive(keep_alive);
  if (head) {
    out.content_length(size);
  } else {
    out.prepare_payload();
  }
  return out;
}

std::string plain_problem(int status, std::string_view title, std::string_view detail) {
  return "{\"type\":\"urn:veikart:problem:" + std::string(status == 413 ? "too-large" : "bad-request") +
         "\",\"title\":\"" + std::string(title) + "\",\"status\":" + std::to_string(status) + ",\"detail\":\"" +
         std::string(detail) + "\"}";
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_, asio::thread_pool& blocking_, Handler handler_, Limits limits_, Metrics* metrics_)
      : io(io_), blocking(blocking_), handler(std::move(handler_)), limits(limits_), metrics(metrics_), acceptor(io_) {}

  asio::io_context& io;
  asio::thread_pool& blocking;
  Handler handler;
  Limits limits;
  Metrics* metrics;
  std::function<bool(std::string_view, std::string_view)> is_push;
  std::unique_ptr<asio::ssl::context> tls;  // set: every connection is TLS
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> connections{0};

  void count(int delta) {
    const auto now = delta > 0 ? ++connections : --connections;
    if (metrics) metrics->set_connections(static_cast<std::int64_t>(now));
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (!stopping) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kUseTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping) break;
        std::fprintf(stderr, "veikart: accept failed: %s\n", ec.message().c_str());
        continue;
      }
      asio::co_spawn(socket.get_executor(), session(std::move(socket)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "veikart: connection failed: %s\n", ex.what());
        }
      });
    }
  }

  template <class Stream>
  asio::awaitable<void> write_error(Stream& stream, int status, std::string_view title, std::string_view detail) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    if (tls) res.set(http::field::strict_transport_security, kHsts);
    res.set(http::field::content_type, "application/problem+json");
    res.set(http::field::connection, "close");
    res.set("X-Request-Id", new_request_id());  // like every answer the API writes
    res.body() = plain_problem(status, title, detail);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, kUseTuple);
  }

  std::size_t body_limit_for(const http::request<http::string_body>& head) const {
    if (!is_push) return limits.max_body_bytes;
    const std::string_view target(head.target().data(), head.target().size());
    const std::string_view method(head.method_string().data(), head.method_string().size());
    return is_push(method, target.substr(0, target.find('?'))) ? limits.push_body_bytes : limits.max_body_bytes;
  }

  // Plain functions, not capturing lambdas, run on the blocking pool: a coroutine's parameters live in its
  // frame, while a lambda's captures live in a closure object that may be gone by the time the coroutine runs.
  static asio::awaitable<ResponseStream::Chunk> next_chunk(std::shared_ptr<ResponseStream> body) {
    co_return body->next();
  }
  static asio::awaitable<HttpResponse> call_handler(Impl* self, const HttpRequest* request) {
    co_return self->handler(*request);
  }

  // Writes the headers, then whatever the stream produces until it is done, the client leaves, a write stalls
  // (a consumer that cannot keep up is cut off rather than buffered for) or the server stops.
  template <class Stream>
  asio::awaitable<void> stream_body(Stream& stream, HttpResponse result, unsigned version) {
    http::response<http::empty_body> head{static_cast<http::status>(result.status), version};
    head.set(http::field::server, "veikart");
    if (tls) head.set(http::field::strict_transport_security, kHsts);
    for (auto& [k, v] : result.headers) head.set(k, v);
    head.keep_alive(false);
    http::response_serializer<http::empty_body> sr{head};
    beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
    auto [hec, hn] = co_await http::async_write_header(stream, sr, kUseTuple);
    (void)hn;
    if (hec) co_return;
    std::shared_ptr<ResponseStream> body = std::move(result.stream);
    asio::steady_timer pause(stream.get_executor());
    while (!stopping) {
      ResponseStream::Chunk chunk = co_await asio::co_spawn(blocking, next_chunk(body), asio::use_awaitable);
      if (!chunk.data.empty()) {
        beast::get_lowest_layer(stream).expires_after(kStreamWriteTimeout);
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(chunk.data), kUseTuple);
        (void)wn;
        if (wec) co_return;
      }
      if (chunk.done) co_return;
      if (chunk.data.empty()) {
        pause.expires_after(kStreamPollInterval);
        auto [tec] = co_await pause.async_wait(kUseTuple);
        (void)tec;
      }
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    auto self = shared_from_this();
    count(+1);
    struct Guard {
      Impl* impl;
      ~Guard() { impl->count(-1); }
    } guard{this};

    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = socket.remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    beast::tcp_stream plain(std::move(socket));
    if (!tls) {
      co_await serve(plain, std::move(remote));
      boost::system::error_code ignored;
      plain.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    if (connections > limits.max_connections) co_return;  // over the cap: not even a handshake
    beast::ssl_stream<beast::tcp_stream> secure(std::move(plain), *tls);
    secure.next_layer().expires_after(limits.request_timeout);
    auto [hec] = co_await secure.async_handshake(asio::ssl::stream_base::server, kUseTuple);
    if (hec) co_return;  // not TLS, an old version, or too slow: nothing to answer in
    co_await serve(secure, std::move(remote));
    secure.next_layer().expires_after(std::chrono::seconds(5));
    auto [sec] = co_await secure.async_shutdown(kUseTuple);
    (void)sec;
  }

  // The request loop on one connection, plain or TLS.
  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, std::string remote) {
    if (connections > limits.max_connections) {
      co_await write_error(stream, 503, "Too many connections", "The server is at its connection limit; retry later.");
      co_return;
    }
    beast::flat_buffer buffer;
    bool first = true;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      const std::size_t largest =
          is_push ? std::max(limits.max_body_bytes, limits.push_body_bytes) : limits.max_body_bytes;
      parser.body_limit(largest);
      // Between requests the idle timeout applies; once bytes arrive the whole request must come in time.
      beast::get_lowest_layer(stream).expires_after(first ? limits.request_timeout : limits.idle_timeout);
      auto [ec_header, n_header] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
      (void)n_header;
      if (ec_header == http::error::body_limit) {
        co_await write_error(stream, 413, "Content too large",
                             "The request body exceeds " + std::to_string(largest) + " bytes.");
        break;
      }
      if (ec_header == http::error::header_limit) {
        co_await write_error(stream, 431, "Request header fields too large",
                             "The request headers exceed " + std::to_string(limits.max_header_bytes) + " bytes.");
        break;
      }
      if (ec_header) {
        if (ec_header != http::error::end_of_stream && ec_header != beast::error::timeout &&
            ec_header != asio::error::connection_reset && ec_header != asio::error::eof &&
            ec_header != asio::error::operation_aborted && buffer.size() > 0) {
          co_await write_error(stream, 400, "Malformed request", "The request could not be parsed as HTTP/1.1.");
        }
        break;
      }
      first = false;
      // Per-route body limit, decided from the request line before any body byte is read.
      const std::size_t body_limit = body_limit_for(parser.get());
      if (parser.content_length().value_or(0) > body_limit) {
        co_await write_error(stream, 413, "Content too large",
                             "The request body exceeds " + std::to_string(body_limit) + " bytes.");
        break;
      }
      parser.body_limit(body_limit);
      beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
      (void)n;
      if (ec == http::error::body_limit) {
        co_await write_error(stream, 413, "Content too large",
                             "The request body exceeds " + std::to_string(body_limit) + " bytes.");
        break;
      }
      if (ec) {
        if (ec == beast::error::timeout) {
          co_await write_error(stream, 408, "Request timeout", "The request did not arrive in time.");
        } else if (ec != http::error::end_of_stream && ec != asio::error::connection_reset && ec != asio::error::eof) {
          co_await write_error(stream, 400, "Malformed request", "The request could not be parsed as HTTP/1.1.");
        }
        break;
      }
      auto req = parser.release();
      const bool head = req.method() == http::verb::head;
      const bool keep_alive = req.keep_alive() && !stopping;
      HttpRequest plain = to_request(req, remote);
      // Handlers read the store, which may block: run them on the blocking pool, then come back to the strand.
      HttpResponse result = co_await asio::co_spawn(blocking, call_handler(this, &plain), asio::use_awaitable);
      if (result.stream && !head && result.status == 200) {
        co_await stream_body(stream, std::move(result), req.version());
        break;  // a streamed body ends with the connection
      }
      auto res = to_beast(std::move(result), req.version(), keep_alive, head, tls != nullptr);
      beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
      if (head) {
        http::response_serializer<http::string_body> sr{res};
        auto [wec, wn] = co_await http::async_write_header(stream, sr, kUseTuple);
        (void)wn;
        if (wec) break;
      } else {
        auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
        (void)wn;
        if (wec) break;
      }
      if (!keep_alive) break;
    }
  }
};

HttpServer::HttpServer(asio::io_context& io, asio::thread_pool& blocking, Handler handler, Limits limits,
                       Metrics* metrics)
    : impl_(std::make_shared<Impl>(io, blocking, std::move(handler), limits, metrics)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on '" + host + "': not an IP address");
  const tcp::endpoint endpoint(address, port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  asio::co_spawn(a.get_executor(), impl_->accept_loop(), asio::detached);
}

void HttpServer::set_push_routes(std::function<bool(std::string_view, std::string_view)> is_push) {
  impl_->is_push = std::move(is_push);
}

void HttpServer::set_tls(const TlsSettings& settings) {
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  const int min = settings.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (settings.min_version != "1.2" && settings.min_version != "1.3") {
    throw std::runtime_error("tls.min_version: expected \"1.2\" or \"1.3\", got '" + settings.min_version + "'");
  }
  SSL_CTX_set_min_proto_version(ctx->native_handle(), min);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(settings.cert.string(), ec);
  if (ec) throw std::runtime_error("tls.cert: cannot use " + settings.cert.string() + ": " + ec.message());
  ctx->use_private_key_file(settings.key.string(), asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("tls.key: cannot use " + settings.key.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw std::runtime_error("tls.key: " + settings.key.string() + " does not belong to the certificate");
  }
  impl_->tls = std::move(ctx);
}

std::uint16_t HttpServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
}

std::size_t HttpServer::open_connections() const { return impl_->connections; }

}  // namespace veikart
