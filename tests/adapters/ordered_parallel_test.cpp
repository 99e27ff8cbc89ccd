#include "adapters/common/ordered_parallel.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace veikart::adapters {
namespace {

/// Busy for a few microseconds that differ from item to item, so that items finish out of order.
int slow_square(std::size_t i) {
  std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 300));
  return static_cast<int>(i * i);
}

TEST(OrderedParallel, DeliversEveryResultInOrderOnTheCallingThread) {
  for (unsigned threads : {1u, 2u, 3u, 4u, 8u}) {
    std::vector<std::size_t> order;
    std::set<std::thread::id> deliverers;
    for_each_ordered<int>(
        200, threads, 4 * threads, [](std::size_t i) { return slow_square(i); },
        [&](std::size_t i, int&& square) {
          EXPECT_EQ(square, static_cast<int>(i * i));
          order.push_back(i);
          deliverers.insert(std::this_thread::get_id());
        });
    ASSERT_EQ(order.size(), 200u) << threads;
    for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i) << threads;
    EXPECT_EQ(deliverers, std::set<std::thread::id>{std::this_thread::get_id()}) << threads;
  }
}

TEST(OrderedParallel, NoMoreThanTheWindowIsInFlight) {
  constexpr std::size_t window = 6;
  std::atomic<std::size_t> started{0};
  std::atomic<std::size_t> delivered{0};
  std::atomic<bool> overrun{false};
  for_each_ordered<std::size_t>(
      300, 4, window,
      [&](std::size_t i) {
        started.fetch_add(1);
        // Item i may only start once item i - window has left its slot, which happens just before its
        // delivery, so `delivered` may lag one behind (and only grows, so reading it late is lenient).
        if (i > window + delivered.load()) overrun = true;
        std::this_thread::sleep_for(std::chrono::microseconds(i % 5 == 0 ? 400 : 10));
        return i;
      },
      [&](std::size_t i, std::size_t&&) { delivered = i + 1; });
  EXPECT_EQ(started.load(), 300u);
  EXPECT_FALSE(overrun.load());
}

TEST(OrderedParallel, AFailedItemIsRethrownInItsTurn) {
  std::vector<std::size_t> order;
  try {
    for_each_ordered<int>(
        100, 4, 8,
        [](std::size_t i) {
          if (i == 37) throw std::runtime_error("item 37");
          return slow_square(i);
        },
        [&](std::size_t i, int&&) { order.push_back(i); });
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "item 37");
  }
  ASSERT_EQ(order.size(), 37u);  // everything before it, nothing after
  EXPECT_EQ(order.back(), 36u);
}

TEST(OrderedParallel, AFailingDeliveryStopsTheWorkers) {
  std::atomic<std::size_t> done{0};
  EXPECT_THROW(for_each_ordered<int>(
                   10'000, 3, 6,
                   [&](std::size_t i) {
                     done.fetch_add(1);
                     return static_cast<int>(i);
                   },
                   [](std::size_t i, int&&) {
                     if (i == 5) throw std::runtime_error("sink failed");
                   }),
               std::runtime_error);
  // The workers are joined when it returns: no item starts afterwards, and few ran beyond the window.
  const std::size_t after = done.load();
  EXPECT_LE(after, 6u + 6u);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(done.load(), after);
}

TEST(OrderedParallel, WorkerCountFollowsTheWishTheCapAndTheItems) {
  EXPECT_EQ(worker_count(3, 100), 3u);
  EXPECT_EQ(worker_count(9, 100), 4u);
  EXPECT_EQ(worker_count(4, 2), 2u);
  EXPECT_EQ(worker_count(4, 0), 1u);
  const unsigned automatic = worker_count(0, 100);
  EXPECT_GE(automatic, 1u);
  EXPECT_LE(automatic, 4u);
}

}  // namespace
}  // namespace veikart::adapters
