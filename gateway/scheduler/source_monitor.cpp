#include "gateway/scheduler/source_monitor.hpp"

#include <algorithm>
#include <ctime>

namespace veikart {

std::string circuit_name(Circuit c) {
  switch (c) {
    case Circuit::closed:
      return "closed";
    case Circuit::open:
      return "open";
    case Circuit::half_open:
      return "half_open";
  }
  return "closed";
}

SourceMonitor::SourceMonitor(SchedulerPolicy policy) : policy_(policy) {}

bool SourceMonitor::should_run(const std::string& source, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& e = entries_[source];
  if (e.status.circuit != Circuit::open) return true;
  if (now - e.opened_at < policy_.open_for) return false;
  e.status.circuit = Circuit::half_open;  // one probe run decides
  return true;
}

void SourceMonitor::record(const std::string& source, bool ok, bool had_rejections, const std::string& error,
                           int attempts, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto& e = entries_[source];
  auto& s = e.status;
  s.attempts_last_run = attempts;
  if (ok) {
    s.consecutive_failures = 0;
    s.circuit = Circuit::closed;
    s.last_success = to_rfc3339(now);
    s.last_error.reset();
    s.state = had_rejections ? "degraded" : "ok";
    return;
  }
  ++s.consecutive_failures;
  s.last_error = error;
  if (s.circuit == Circuit::half_open || s.consecutive_failures >= policy_.failure_threshold) {
    s.circuit = Circuit::open;
    e.opened_at = now;
  }
  // The last good data stays in the feed: the source is stale while it fails, failing once the circuit opens.
  s.state = s.circuit == Circuit::open ? "failing" : "stale";
}

void SourceMonitor::set_next_run(const std::string& source, Clock::time_point when) {
  std::lock_guard lock(mutex_);
  entries_[source].status.next_run = to_rfc3339(when);
}

SourceStatus SourceMonitor::status(const std::string& source) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(source);
  return it == entries_.end() ? SourceStatus{} : it->second.status;
}

std::chrono::milliseconds SourceMonitor::retry_delay(int attempt, double unit) const {
  const int shift = std::clamp(attempt - 1, 0, 20);
  const auto raw = policy_.backoff.count() * (1LL << shift);
  const auto capped = std::min<long long>(raw, policy_.max_backoff.count());
  const double factor = 0.5 + 0.5 * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(capped) * factor));
}

std::optional<std::chrono::milliseconds> SourceMonitor::retry_wait(
    int attempt, double unit, std::optional<std::chrono::seconds> retry_after) const {
  const auto delay = retry_delay(attempt, unit);
  if (!retry_after) return delay;
  if (*retry_after > policy_.max_backoff) return std::nullopt;
  return std::max<std::chrono::milliseconds>(delay, *retry_after);
}

void SourceMonitor::hold_until(const std::string& source, Clock::time_point until) {
  std::lock_guard lock(mutex_);
  auto& e = entries_[source];
  e.hold_until = std::max(e.hold_until, until);
}

std::optional<SourceMonitor::Clock::time_point> SourceMonitor::held_until(const std::string& source,
                                                                          Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(source);
  if (it == entries_.end() || it->second.hold_until <= now) return std::nullopt;
  return it->second.hold_until;
}

}  // namespace veikart
