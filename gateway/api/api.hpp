#pragma once
/// @brief The HTTP API as a plain function from request to response: routing, the feed routes, conditional
/// requests, compression and request metrics. No Beast here, so handlers are tested without a socket.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "gateway/api/metrics.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/scheduler/source_monitor.hpp"
#include "gateway/store/push_store.hpp"
#include "gateway/store/store.hpp"

namespace veikart {

struct ApiContext {
  Store& store;
  const GatewayConfig& config;
  const Reference& reference;
  Metrics& metrics;
  /// True once start-up is complete (first ingestion pass done); /readyz reports it.
  std::function<bool()> started = [] { return true; };
  /// Adapter types, for sources that accept pushed payloads; null when pushes are not served.
  const AdapterRegistry* registry = nullptr;
  /// Silence after which the live stream sends a heartbeat comment.
  std::chrono::milliseconds stream_heartbeat{15000};
  /// The running scheduler's view of each source (circuit, state, next run); null outside `serve`.
  const SourceMonitor* monitor = nullptr;
  /// Asks the scheduler to run a source now; false for an unknown source. Empty outside `serve`.
  std::function<bool(const std::string&)> trigger_run = {};
  /// Inventories, idempotency keys and the audit log; null disables those routes (503) and features.
  PushStore* push_store = nullptr;
};

class Api {
 public:
  explicit Api(ApiContext context);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  /// Handles one complete request. Never throws: unexpected failures become 500 problems.
  HttpResponse handle(const HttpRequest& request);

  /// True for the routes whose bodies may be as large as limits.push_body_bytes (the server asks before it
  /// reads a body).
  static bool is_push(std::string_view method, std::string_view path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veikart
