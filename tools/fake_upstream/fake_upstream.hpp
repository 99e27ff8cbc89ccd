#pragma once
/// @brief In-process fake upstreams with fault injection, for tests and the demo: a Fiks-style roadmap API with
/// its Maskinporten-style token endpoint, and a Noark 5 REST service. Each is a plain handler
/// (HttpRequest → HttpResponse) that FakeServer serves on the project's HttpServer.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway/core/model.hpp"
#include "gateway/http/server.hpp"

namespace veikart::fake {

/// What a fake does to its data requests (the token endpoint and navigation documents stay healthy).
enum class Fault {
  none,
  error_500,              // 500 with a problem body
  unavailable_503,        // 503 with Retry-After: 1
  timeout,                // answers only after `delay` (longer than the client waits)
  stall,                  // sends the headers and the start of the body, then nothing until `delay` has passed
  truncated_json,         // 200 with half a JSON body
  wrong_content_type,     // 200 text/html (a maintenance page)
  loop_next,              // the first page's next link points at itself
  empty_without_results,  // a list answer with neither results nor count (Noark 5)
};

/// Parses "none", "500", "503", "timeout", "stall", "truncated", "content-type", "loop", "no-results".
std::optional<Fault> parse_fault(std::string_view name);

/// Faults shared by both fakes.
class FaultSwitch {
 public:
  void set(Fault fault, std::chrono::milliseconds delay = std::chrono::milliseconds(3000)) {
    std::lock_guard lock(mutex_);
    fault_ = fault;
    delay_ = delay;
  }
  Fault fault() const {
    std::lock_guard lock(mutex_);
    return fault_;
  }
  std::chrono::milliseconds delay() const {
    std::lock_guard lock(mutex_);
    return delay_;
  }
  /// The response a transport-level fault gives instead of `healthy` (a JSON body), or nothing.
  std::optional<HttpResponse> apply(const HttpResponse& healthy) const;

 private:
  mutable std::mutex mutex_;
  Fault fault_ = Fault::none;
  std::chrono::milliseconds delay_{3000};
};

struct FiksFakeOptions {
  std::string public_key_pem;  // verifies the assertions
  std::string issuer = "veikart-demo";
  std::string audience;  // expected aud; empty: any
  std::string kid;       // expected header kid; empty: any
  std::string scope = "ks:fiks";
  std::string integrasjon_id = "6f2d3c1a-8b4e-4f7a-9c21-5d0e7b3a9f14";
  std::string integrasjon_passord = "demo-passord";
  std::chrono::seconds token_lifetime{120};
  int page_size = 3;  // the most solutions on one page
};

/// A Fiks-style roadmap API (docs/fiks-roadmap-api.md): POST /token, GET /veikart/api/v1/losninger.
class FiksFake {
 public:
  FiksFake(FiksFakeOptions options, std::vector<Json> solutions);
  HttpResponse handle(const HttpRequest& request);

  FaultSwitch faults;
  /// Makes every issued token invalid: the next API call gets 401 and must fetch a fresh token.
  void revoke_tokens();
  void set_solutions(std::vector<Json> solutions);
  int tokens_issued() const { return tokens_issued_; }
  int assertions_refused() const { return assertions_refused_; }
  int not_modified() const { return not_modified_; }
  int api_requests() const { return api_requests_; }

 private:
  HttpResponse token(const HttpRequest& request);
  HttpResponse page(const HttpRequest& request);

  FiksFakeOptions options_;
  mutable std::mutex mutex_;
  std::vector<Json> solutions_;
  int version_ = 1;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;
  std::set<std::string> seen_jti_;
  std::atomic<int> tokens_issued_{0}, assertions_refused_{0}, not_modified_{0}, api_requests_{0};
};

/// A Noark 5 REST service: GET /api, /api/sakarkiv (legacy array links), /api/sakarkiv/saksmappe paged with
/// $top/$skip (at most `page_cap` per page) and next links.
class Noark5Fake {
 public:
  explicit Noark5Fake(std::vector<Json> cases, int page_cap = 2);
  HttpResponse handle(const HttpRequest& request);

  FaultSwitch faults;
  void set_cases(std::vector<Json> cases);
  std::string last_filter() const;
  int list_requests() const { return list_requests_; }

 private:
  mutable std::mutex mutex_;
  std::vector<Json> cases_;
  int page_cap_;
  std::string last_filter_;
  std::atomic<int> list_requests_{0};
};

/// Serves a handler on host:port (0: any free port) with its own I/O thread and a small blocking pool; stop()
/// closes the port (connections are refused) and start() opens it again on the same port.
class FakeServer {
 public:
  explicit FakeServer(HttpServer::Handler handler, std::string host = "127.0.0.1", std::uint16_t port = 0);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  void start();
  void stop();
  std::uint16_t port() const { return port_; }
  std::string base_url() const { return "http://" + host_ + ":" + std::to_string(port_); }

 private:
  struct Running;
  HttpServer::Handler handler_;
  std::string host_;
  std::uint16_t port_;
  std::unique_ptr<Running> running_;
};

/// The demo data: config/demo/upstream/fiks-losninger.json and noark5-saksmapper.json (arrays).
Expected<std::vector<Json>> load_json_array(const std::filesystem::path& file);

}  // namespace veikart::fake
