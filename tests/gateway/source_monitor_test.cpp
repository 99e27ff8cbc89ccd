#include <gtest/gtest.h>

#include "gateway/scheduler/source_monitor.hpp"

namespace veikart {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

SchedulerPolicy policy() {
  SchedulerPolicy p;
  p.failure_threshold = 3;
  p.open_for = 60s;
  p.backoff = 1000ms;
  p.max_backoff = 5000ms;
  return p;
}

TEST(SourceMonitor, FailuresMakeASourceStaleThenOpenTheCircuit) {
  SourceMonitor m(policy());
  const auto t0 = Clock::now();
  EXPECT_EQ(m.status("s").state, "pending");
  m.record("s", true, false, "", 1, t0);
  EXPECT_EQ(m.status("s").state, "ok");
  ASSERT_TRUE(m.status("s").last_success);
  m.record("s", false, false, "cannot read 'x.csv'", 3, t0 + 1s);
  EXPECT_EQ(m.status("s").state, "stale");
  EXPECT_EQ(m.status("s").circuit, Circuit::closed);
  EXPECT_EQ(m.status("s").last_error, "cannot read 'x.csv'");
  EXPECT_EQ(m.status("s").attempts_last_run, 3);
  m.record("s", false, false, "again", 1, t0 + 2s);
  EXPECT_TRUE(m.should_run("s", t0 + 3s));
  m.record("s", false, false, "third", 1, t0 + 3s);
  EXPECT_EQ(m.status("s").circuit, Circuit::open);
  EXPECT_EQ(m.status("s").state, "failing");
  EXPECT_EQ(m.status("s").consecutive_failures, 3);
  EXPECT_FALSE(m.should_run("s", t0 + 30s));  // open: runs are skipped
}

TEST(SourceMonitor, HalfOpenProbeClosesOnSuccessAndReopensOnFailure) {
  SourceMonitor m(policy());
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) m.record("s", false, false, "down", 1, t0);
  ASSERT_EQ(m.status("s").circuit, Circuit::open);
  EXPECT_TRUE(m.should_run("s", t0 + 61s));
  EXPECT_EQ(m.status("s").circuit, Circuit::half_open);
  m.record("s", false, false, "still down", 1, t0 + 62s);
  EXPECT_EQ(m.status("s").circuit, Circuit::open);
  EXPECT_FALSE(m.should_run("s", t0 + 100s));  // a new open period started at the failed probe
  EXPECT_TRUE(m.should_run("s", t0 + 123s));
  m.record("s", true, true, "", 1, t0 + 124s);
  EXPECT_EQ(m.status("s").circuit, Circuit::closed);
  EXPECT_EQ(m.status("s").state, "degraded");  // read, but with rejected records
  EXPECT_EQ(m.status("s").consecutive_failures, 0);
  EXPECT_FALSE(m.status("s").last_error);
}

TEST(SourceMonitor, RetryDelaysGrowExponentiallyWithJitterAndACap) {
  SourceMonitor m(policy());
  EXPECT_EQ(m.retry_delay(1, 1.0), 1000ms);
  EXPECT_EQ(m.retry_delay(2, 1.0), 2000ms);
  EXPECT_EQ(m.retry_delay(3, 1.0), 4000ms);
  EXPECT_EQ(m.retry_delay(4, 1.0), 5000ms);  // capped
  EXPECT_EQ(m.retry_delay(30, 1.0), 5000ms);
  EXPECT_EQ(m.retry_delay(2, 0.0), 1000ms);  // jitter takes it down to half
  EXPECT_EQ(to_rfc3339(Clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(SourceMonitor, AnUpstreamsRetryAfterLengthensTheWaitOrEndsTheRetries) {
  SourceMonitor m(policy());  // backoff 1 s, at most 5 s
  EXPECT_EQ(m.retry_wait(1, 1.0, std::nullopt), 1000ms);
  EXPECT_EQ(m.retry_wait(1, 1.0, std::chrono::seconds(3)), 3000ms);         // never sooner than asked
  EXPECT_EQ(m.retry_wait(3, 1.0, std::chrono::seconds(2)), 4000ms);         // nor sooner than the backoff
  EXPECT_EQ(m.retry_wait(1, 1.0, std::chrono::seconds(60)), std::nullopt);  // longer than a run waits

  const auto now = Clock::now();
  EXPECT_FALSE(m.held_until("s", now));
  m.hold_until("s", now + std::chrono::seconds(60));
  m.hold_until("s", now + std::chrono::seconds(10));  // an earlier hold does not shorten a later one
  ASSERT_TRUE(m.held_until("s", now));
  EXPECT_EQ(*m.held_until("s", now), now + std::chrono::seconds(60));
  EXPECT_FALSE(m.held_until("s", now + std::chrono::seconds(61)));
  EXPECT_FALSE(m.held_until("other", now));
}

}  // namespace
}  // namespace veikart
