// The outgoing HTTP(S) client: the second (and last) translation unit that instantiates Beast's HTTP templates.
// One connection per request (`Connection: close`): pulls and webhook deliveries are minutes apart, so pooling
// would only add state to get wrong.

#include "gateway/http/client.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <stdexcept>

#include "gateway/http/http_types.hpp"

namespace veikart {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What a message may say about a request: method, origin and path, never the query (it may carry a token).
std::string describe(const std::string& method, const Url& url) {
  return method + " " + url.origin() + url.target.substr(0, url.target.find('?'));
}

Error fail(const std::string& what, std::string_view why) { return Error{what + ": " + std::string(why)}; }

std::chrono::milliseconds left(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

class BeastHttpClient final : public HttpFetcher {
 public:
  explicit BeastHttpClient(HttpClientOptions options)
      : options_(std::move(options)), tls_(std::make_shared<ssl::context>(ssl::context::tls_client)) {
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    tls_->set_default_verify_paths(ec);
    if (!options_.ca_file.empty()) {
      tls_->load_verify_file(options_.ca_file, ec);
      if (ec) throw std::runtime_error("cannot load CA file " + options_.ca_file + ": " + ec.message());
    }
    for (auto& host : options_.allow_hosts) host = lower(host);
  }

  asio::awaitable<Expected<FetchResponse>> fetch(FetchRequest request) override {
    const auto total = request.timeout.count() > 0 ? request.timeout : options_.total_timeout;
    const auto deadline = Clock::now() + total;
    std::string url_text = request.url;
    for (int redirects = 0;; ++redirects) {
      auto url = parse_url(url_text);
      if (!url) co_return url.error();
      auto response = co_await fetch_once(request, *url, deadline);
      if (!response) co_return response;
      const int status = response->status;
      const bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
      const std::string location = redirect ? response->header("location") : std::string();
      if (location.empty() || options_.max_redirects == 0) {  // with no redirects allowed, a 3xx is the answer
        response->url = url_text;
        co_return response;
      }
      const std::string what = describe(request.method, *url);
      if (redirects >= options_.max_redirects) co_return fail(what, "too many redirects");
      auto next = resolve_url(url_text, location);
      if (!next) co_return fail(what, "redirect to an invalid location");
      auto next_url = parse_url(*next);
      if (!next_url || next_url->origin() != url->origin()) {
        co_return fail(what, "redirect to another origin refused (" + (next_url ? next_url->origin() : *next) + ")");
      }
      if (status == 303 || ((status == 301 || status == 302) && request.method == "POST")) {
        request.method = "GET";
        request.body.clear();
      }
      url_text = *next;
    }
  }

 private:
  bool allowed_host(const std::string& host) const {
    return std::find(options_.allow_hosts.begin(), options_.allow_hosts.end(), lower(host)) !=
           options_.allow_hosts.end();
  }

  asio::awaitable<Expected<FetchResponse>> fetch_once(const FetchRequest& request, const Url& url,
                                                      Clock::time_point deadline) {
    const std::string what = describe(request.method, url);
    const bool host_allowed = allowed_host(url.host);
    if (options_.https_only && url.scheme != "https" && !host_allowed) {
      co_return fail(what, "only https URLs are allowed");
    }
    auto executor = co_await asio::this_coro::executor;

    // Resolve, with the connect budget; a timer cancels a resolver that hangs.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    asio::steady_timer resolve_timer(executor);
    resolve_timer.expires_after(std::min(options_.connect_timeout, left(deadline)));
    resolve_timer.async_wait([resolver](boost::system::error_code ec) {
      if (!ec) resolver->cancel();
    });
    auto [resolve_ec, results] = co_await resolver->async_resolve(url.host, url.port, kUseTuple);
    resolve_timer.cancel();
    if (resolve_ec == asio::error::operation_aborted) co_return fail(what, "timed out resolving the host name");
    if (resolve_ec) co_return fail(what, "cannot resolve host: " + resolve_ec.message());

    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results) {
      const auto address = entry.endpoint().address();
      if (options_.public_addresses_only && !host_allowed && !is_public_address(address.to_string()) &&
          !allowed_host(address.to_string())) {
        continue;
      }
      endpoints.push_back(entry.endpoint());
    }
    if (endpoints.empty()) {
      co_return fail(what, "refused: the host resolves only to non-public addresses");
    }

    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_after(std::min(options_.connect_timeout, left(deadline)));
    auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(endpoints, kUseTuple);
    (void)endpoint;
    if (connect_ec == beast::error::timeout) co_return fail(what, "timed out connecting");
    if (connect_ec) co_return fail(what, "cannot connect: " + connect_ec.message());

    if (url.scheme == "https") {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *tls_);
      boost::system::error_code ec;
      if (asio::ip::make_address(url.host, ec); ec) {  // SNI only for names, never for address literals
        if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
          co_return fail(what, "cannot set TLS server name");
        }
      }
      stream.set_verify_callback(ssl::host_name_verification(url.host));
      beast::get_lowest_layer(stream).expires_after(std::min(options_.connect_timeout, left(deadline)));
      auto [hs_ec] = co_await stream.async_handshake(ssl::stream_base::client, kUseTuple);
      if (hs_ec == beast::error::timeout) co_return fail(what, "timed out in the TLS handshake");
      if (hs_ec) co_return fail(what, "TLS handshake failed: " + hs_ec.message());
      auto result = co_await exchange(stream, request, url, deadline, what);
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
      co_await stream.async_shutdown(kUseTuple);  // a courtesy; its outcome does not matter
      co_return result;
    }
    co_return co_await exchange(tcp_stream, request, url, deadline, what);
  }

  template <class Stream>
  asio::awaitable<Expected<FetchResponse>> exchange(Stream& stream, const FetchRequest& request, const Url& url,
                                                    Clock::time_point deadline, const std::string& what) {
    http::request<http::string_body> out{http::string_to_verb(request.method), url.target, 11};
    if (out.method() == http::verb::unknown) co_return fail(what, "unknown method");
    const bool default_port =
        (url.scheme == "https" && url.port == "443") || (url.scheme == "http" && url.port == "80");
    const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    out.set(http::field::host, default_port ? host : host + ":" + url.port);
    out.set(http::field::user_agent, options_.user_agent);
    out.set(http::field::accept_encoding, "gzip");
    out.set(http::field::connection, "close");
    for (const auto& [name, value] : request.headers) out.set(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      out.body() = request.body;
      out.prepare_payload();
    }

    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(std::min(options_.read_timeout, left(deadline)));
    auto [write_ec, written] = co_await http::async_write(stream, out, kUseTuple);
    (void)written;
    if (write_ec == beast::error::timeout) co_return fail(what, "timed out sending the request");
    if (write_ec) co_return fail(what, "cannot send the request: " + write_ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(options_.max_body_bytes);
    if (request.method == "HEAD") parser.skip(true);
    lowest.expires_after(std::min(options_.read_timeout, left(deadline)));
    auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
    (void)header_bytes;
    while (!header_ec && !parser.is_done()) {
      if (left(deadline).count() <= 0) co_return fail(what, "timed out reading the response");
      lowest.expires_after(std::min(options_.read_timeout, left(deadline)));
      auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kUseTuple);
      (void)n;
      header_ec = ec;
    }
    if (header_ec == beast::error::timeout) co_return fail(what, "timed out reading the response");
    if (header_ec == http::error::body_limit) {
      co_return fail(what, "response larger than " + std::to_string(options_.max_body_bytes) + " bytes");
    }
    if (header_ec == http::error::header_limit) co_return fail(what, "response headers too large");
    if (header_ec == http::error::partial_message || header_ec == http::error::end_of_stream) {
      co_return fail(what, "connection closed before the response was complete");
    }
    if (header_ec == ssl::error::stream_truncated && parser.is_header_done() && !parser.content_length() &&
        !parser.chunked()) {
      // A TLS peer that closed without close_notify at the end of a body delimited by the close itself.
      boost::system::error_code eof_ec;
      parser.put_eof(eof_ec);
      header_ec = eof_ec;
    }
    if (header_ec == ssl::error::stream_truncated) {
      co_return fail(what, "connection closed before the response was complete");
    }
    if (header_ec) co_return fail(what, "bad response: " + header_ec.message());

    auto& in = parser.get();
    FetchResponse response;
    response.status = static_cast<int>(in.result_int());
    for (const auto& field : in) response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
    response.body = std::move(in.body());
    const std::string encoding = lower(response.header("content-encoding"));
    if (encoding == "gzip" || encoding == "x-gzip") {
      auto plain = gzip_decompress(response.body, options_.max_body_bytes);
      if (!plain) co_return fail(what, "corrupt gzip body or larger than the size cap once decoded");
      response.body = std::move(*plain);
    } else if (!encoding.empty() && encoding != "identity") {
      co_return fail(what, "unsupported content encoding '" + encoding + "'");
    }
    co_return response;
  }

  HttpClientOptions options_;
  std::shared_ptr<ssl::context> tls_;
};

}  // namespace

std::unique_ptr<HttpFetcher> make_http_client(HttpClientOptions options) {
  return std::make_unique<BeastHttpClient>(std::move(options));
}

}  // namespace veikart
