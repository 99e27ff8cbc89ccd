#pragma once
/// @brief The push side of the API: inventories from IT cooperatives, schedules from KS, messages pushed to
/// sources, what runs in a municipality, the audit log; and the guards around every request — request ids,
/// rate limits, Idempotency-Key replay and audit entries.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "gateway/api/api.hpp"
#include "gateway/api/rate_limit.hpp"
#include "gateway/auth/auth.hpp"

namespace veikart {

using RouteResult = std::pair<std::string, HttpResponse>;

/// The source that pushed KS rollout schedules (POST /v1/schedules) go to unless the config declares one of
/// that name, and its precedence.
inline constexpr const char* kSchedulesSource = "ks-schedules";
inline constexpr int kSchedulesPrecedence = 50;  // route template (for metrics, audit) and response

class PushRoutes {
 public:
  PushRoutes(const ApiContext& ctx, const Authenticator& auth);

  /// The push routes and the routes that read what was pushed; nothing when the path is none of them.
  std::optional<RouteResult> route(const HttpRequest& req, const Identity& id);

  /// Runs `next` (the whole router) behind the rate limit and, for writes with an Idempotency-Key, replays the
  /// first answer instead of applying the request twice.
  RouteResult guard(const HttpRequest& req, const std::function<RouteResult()>& next);

  /// Once the response is final: an audit entry for every write (and admin action), and X-Request-Id.
  void record(const HttpRequest& req, const std::string& request_id, const std::string& route, HttpResponse& response);

  /// True for POST/PUT on a push route.
  static bool is_push(std::string_view method, std::string_view path);

 private:
  HttpResponse push_message(const HttpRequest& req, const Identity& id, const SourceEntry& source,
                            const std::string& error_key);
  HttpResponse push_inventory(const HttpRequest& req, const Identity& id, const std::string& client, bool replace);
  HttpResponse systems(const std::string& municipality);
  HttpResponse audit(const HttpRequest& req);
  RouteResult idempotent(const HttpRequest& req, const Identity& id, const std::string& key,
                         const std::function<RouteResult()>& next);
  /// Deletes audit entries older than the configured retention, at most once an hour.
  void prune_audit();

  const ApiContext& ctx_;
  const Authenticator& auth_;
  RateLimiter limiter_;
  SourceEntry schedules_;  // the built-in ks-schedules source (unless the config declares one)

  std::mutex parsers_mutex_;
  // One parser per source, made on first use; parsing for one source is serialised (parsers may cache state).
  std::map<std::string, std::pair<std::unique_ptr<std::mutex>, std::unique_ptr<PayloadParser>>> parsers_;
  std::mutex inflight_mutex_;
  std::set<std::string> inflight_;  // idempotency keys being handled in this process
  std::mutex inventory_mutex_;      // one inventory write at a time (replace and upsert read-check-write)
  std::mutex prune_mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_audit_prune_;
};

}  // namespace veikart
