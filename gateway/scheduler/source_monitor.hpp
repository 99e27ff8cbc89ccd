#pragma once
/// @brief Per-source health while the gateway runs: a circuit breaker over consecutive failed runs, and the state
/// /v1/sources reports (ok, degraded, stale, failing). Pure state, no I/O: the scheduler feeds it outcomes.

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/model.hpp"

namespace veikart {

struct SchedulerPolicy {
  int retries = 2;                          // extra attempts within one run when the source cannot be read
  std::chrono::milliseconds backoff{2000};  // first retry delay; doubles per attempt, with jitter
  std::chrono::milliseconds max_backoff{60000};
  int failure_threshold = 3;                   // consecutive failed runs that open the circuit
  std::chrono::milliseconds open_for{300000};  // how long an open circuit skips runs before one probe
};

enum class Circuit { closed, open, half_open };

struct SourceStatus {
  std::string state = "pending";  // pending (not run yet), ok, degraded (rejected records), stale, failing
  Circuit circuit = Circuit::closed;
  int consecutive_failures = 0;
  std::optional<std::string> last_success;  // RFC 3339
  std::optional<std::string> last_error;
  std::optional<std::string> next_run;  // RFC 3339
  int attempts_last_run = 0;
};

class SourceMonitor {
 public:
  using Clock = std::chrono::system_clock;

  explicit SourceMonitor(SchedulerPolicy policy = {});

  /// Whether a scheduled run should happen now; an open circuit whose time is up lets one probe through.
  bool should_run(const std::string& source, Clock::time_point now);
  /// Records a finished run: `ok` when the source was read (rejections make it degraded, not failed).
  void record(const std::string& source, bool ok, bool had_rejections, const std::string& error, int attempts,
              Clock::time_point now);
  void set_next_run(const std::string& source, Clock::time_point when);
  SourceStatus status(const std::string& source) const;
  const SchedulerPolicy& policy() const { return policy_; }

  /// The delay before retry number `attempt` (1-based): backoff × 2^(attempt-1), capped, times a jitter factor
  /// in [0.5, 1.0] given by `unit` in [0, 1].
  std::chrono::milliseconds retry_delay(int attempt, double unit) const;
  /// The same, honouring an upstream's Retry-After: never sooner than it asks, and nullopt (no retry within this
  /// run) when it asks for longer than the policy's longest backoff.
  std::optional<std::chrono::milliseconds> retry_wait(int attempt, double unit,
                                                      std::optional<std::chrono::seconds> retry_after) const;

  /// An upstream asked (Retry-After) not to be read again before `until`: scheduled runs skip until then.
  void hold_until(const std::string& source, Clock::time_point until);
  /// When scheduled runs of the source are held back at `now`, until when.
  std::optional<Clock::time_point> held_until(const std::string& source, Clock::time_point now) const;

 private:
  struct Entry {
    SourceStatus status;
    Clock::time_point opened_at{};
    Clock::time_point hold_until{};
  };
  SchedulerPolicy policy_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

std::string circuit_name(Circuit c);

}  // namespace veikart
