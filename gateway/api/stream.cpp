#include "gateway/api/stream.hpp"

namespace veikart {
namespace {

class ChangeStream final : public ResponseStream {
 public:
  ChangeStream(Store& store, RoadmapQuery filter, std::int64_t since, std::chrono::milliseconds heartbeat,
               std::int64_t max_lag)
      : store_(store), filter_(std::move(filter)), last_(since), heartbeat_(heartbeat), max_lag_(max_lag) {}

  Chunk next() override {
    std::string out;
    if (first_) {
      first_ = false;
      out = "retry: 3000\n\n";  // how long EventSource clients wait before reconnecting
    }
    // A live client that has fallen more than max_lag changes behind reads too slowly to keep up: it gets a
    // final event saying where to resume and is disconnected, rather than the server holding its backlog. (A
    // client that resumes from far back is catching up, not slow, until it first reaches the head.)
    if (caught_up_ && max_lag_ > 0) {
      const std::int64_t head = store_.sequence();
      if (head - last_ > max_lag_) {
        const Json why = {{"reason", "the client fell more than " + std::to_string(max_lag_) +
                                         " changes behind; reconnect with Last-Event-ID to resume"},
                          {"resume_from", last_},
                          {"head", head}};
        out += "event: cutoff\ndata: " + why.dump() + "\n\n";
        return {std::move(out), true};
      }
    }
    // A bounded batch per call: a client far behind catches up in steps, never all at once in memory.
    const auto batch = store_.changes(last_, kBatch);
    if (static_cast<int>(batch.size()) < kBatch) caught_up_ = true;
    for (const auto& c : batch) {
      last_ = c.seq;
      if (!change_matches(filter_, c)) continue;
      out += "id: " + std::to_string(c.seq) + "\nevent: " + c.op +
             "\ndata: " + change_to_json(c).dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
    }
    const auto now = std::chrono::steady_clock::now();
    if (out.empty() && now - last_write_ >= heartbeat_) out = ": heartbeat\n\n";
    if (!out.empty()) last_write_ = now;
    return {std::move(out), false};
  }

 private:
  static constexpr int kBatch = 200;
  Store& store_;
  RoadmapQuery filter_;
  std::int64_t last_;
  std::chrono::milliseconds heartbeat_;
  std::int64_t max_lag_;
  bool caught_up_ = false;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  bool first_ = true;
};

}  // namespace

std::shared_ptr<ResponseStream> make_change_stream(Store& store, RoadmapQuery filter, std::int64_t since,
                                                   std::chrono::milliseconds heartbeat, std::int64_t max_lag) {
  return std::make_shared<ChangeStream>(store, std::move(filter), since, heartbeat, max_lag);
}

}  // namespace veikart
