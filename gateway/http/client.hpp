#pragma once
/// @brief The outgoing HTTP(S) client on Boost.Beast + OpenSSL, shared by pulling adapters and webhook delivery
/// (through the HttpFetcher interface of gateway/core/fetch.hpp).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/fetch.hpp"

namespace veikart {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // DNS + TCP connect + TLS handshake
  std::chrono::milliseconds read_timeout{30'000};     // longest wait for the next bytes of the response
  std::chrono::milliseconds total_timeout{60'000};    // the whole request, redirects included
  std::size_t max_body_bytes = 64u << 20;             // after decoding; larger answers are an error
  int max_redirects = 5;                              // followed only within the same origin
  std::string ca_file;                                // PEM bundle for private CAs; the system store otherwise
  std::string user_agent = "veikart/1";
  /// Refuse plain http:// URLs (webhooks), except to hosts in allow_hosts.
  bool https_only = false;
  /// Connect only to public unicast addresses, checked after DNS resolution (no loopback, private,
  /// link-local, CGNAT, multicast or reserved ranges), except to hosts or addresses in allow_hosts.
  bool public_addresses_only = false;
  std::vector<std::string> allow_hosts;
};

/// Creates a client; throws std::runtime_error when the CA file cannot be loaded.
std::unique_ptr<HttpFetcher> make_http_client(HttpClientOptions options);

}  // namespace veikart
