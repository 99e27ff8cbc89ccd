#pragma once
/// @brief Independent work items done on a few threads, their results handed back in order on the caller's thread.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace veikart::adapters {

/// How many worker threads to use for `items` independent items: `wanted` when not 0, else the machine's
/// hardware threads; never more than `cap` nor than there are items, and at least 1.
inline unsigned worker_count(unsigned wanted, std::size_t items, unsigned cap = 4) {
  unsigned n = wanted != 0 ? wanted : std::max(1u, std::thread::hardware_concurrency());
  n = std::min(n, cap);
  if (items < n) n = static_cast<unsigned>(std::max<std::size_t>(items, 1));
  return std::max(n, 1u);
}

/// Calls `work(i)` for every i in [0, count) on `threads` threads, the calling thread and threads - 1 workers,
/// and `deliver(i, result)` on the calling thread only, strictly in index order. At most `window` results are
/// in flight (being done or done, not yet delivered), so memory stays bounded however many items there are.
/// The calling thread delivers whatever is ready and, while the next result is not, does an item itself
/// rather than sleep. With one thread (or one item) everything runs on the calling thread and no thread is
/// started.
///
/// `work` must be safe to call from several threads at once. An exception from `work(i)` is rethrown on the
/// calling thread when item i's turn to be delivered comes; one from `deliver` propagates at once. Either
/// way the workers are stopped and joined before this returns or throws.
template <class Result, class Work, class Deliver>
void for_each_ordered(std::size_t count, unsigned threads, std::size_t window, Work&& work, Deliver&& deliver) {
  if (threads <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) deliver(i, work(i));
    return;
  }
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
  window = std::max<std::size_t>(window, threads);

  struct Slot {
    std::optional<Result> result;
    std::exception_ptr error;
    bool ready = false;
  };
  std::vector<Slot> slots(window);  // item i waits in slot i % window
  std::mutex mutex;
  std::condition_variable done;  // the item the calling thread waits for is ready
  std::condition_variable room;  // a slot came free, or the workers are told to stop
  std::size_t next = 0;          // the next item to take
  std::size_t delivered = 0;     // items handed to `deliver` so far
  bool stop = false;
  // Wake-ups only where someone waits: a futex call and a context switch per item would cost more than a
  // small item takes to do.
  bool caller_waiting = false;  // for item `delivered`
  unsigned workers_waiting = 0;

  // Item i may start once item i - window has been delivered: its slot is then free. Called locked.
  auto may_take = [&] { return next < count && next < delivered + window; };
  // Does item i and leaves its result in its slot; true when the calling thread waits for exactly it.
  auto run = [&](std::size_t i) {
    Slot slot;
    try {
      slot.result.emplace(work(i));
    } catch (...) {
      slot.error = std::current_exception();
    }
    slot.ready = true;
    std::lock_guard lock(mutex);
    slots[i % window] = std::move(slot);
    return caller_waiting && i == delivered;
  };
  auto worker = [&] {
    for (;;) {
      std::size_t i = 0;
      {
        std::unique_lock lock(mutex);
        if (!stop && !may_take() && next < count) {
          ++workers_waiting;
          room.wait(lock, [&] { return stop || may_take() || next >= count; });
          --workers_waiting;
        }
        if (stop || !may_take()) return;
        i = next++;
      }
      if (run(i)) done.notify_one();
    }
  };

  std::vector<std::thread> pool;
  struct Joiner {
    std::vector<std::thread>& pool;
    std::mutex& mutex;
    std::condition_variable& room;
    bool& stop;
    ~Joiner() {
      {
        std::lock_guard lock(mutex);
        stop = true;
      }
      room.notify_all();
      for (auto& t : pool) t.join();
    }
  } joiner{pool, mutex, room, stop};
  pool.reserve(threads - 1);
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);

  for (std::size_t i = 0; i < count; ++i) {
    Slot slot;
    bool wake = false;
    {
      std::unique_lock lock(mutex);
      while (!slots[i % window].ready) {
        if (may_take()) {
          const std::size_t mine = next++;
          lock.unlock();
          run(mine);
          lock.lock();
          continue;
        }
        // Everything up to the window is taken: only item i's worker can move things on.
        caller_waiting = true;
        done.wait(lock, [&] { return slots[i % window].ready; });
        caller_waiting = false;
      }
      slot = std::move(slots[i % window]);
      slots[i % window] = Slot{};
      delivered = i + 1;
      wake = workers_waiting > 0;
    }
    if (wake) room.notify_one();  // one slot came free: one more item may start
    if (slot.error) std::rethrow_exception(slot.error);
    deliver(i, std::move(*slot.result));
  }
}

}  // namespace veikart::adapters
