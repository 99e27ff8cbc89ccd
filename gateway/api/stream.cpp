#include "gateway/api/stream.hpp"

namespace veikart {
namespace {

class ChangeStream final : public ResponseStream {
 public:
  ChangeStream(Store& store, RoadmapQuery filter, std::int64_t since, std::chrono::milliseconds heartbeat)
      : store_(store), filter_(std::move(filter)), last_(since), heartbeat_(heartbeat) {}

  Chunk next() override {
    std::string out;
    if (first_) {
      first_ = false;
      out = "retry: 3000\n\n";  // how long EventSource clients wait before reconnecting
    }
    // A bounded batch per call: a client far behind catches up in steps, never all at once in memory.
    for (const auto& c : store_.changes(last_, kBatch)) {
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
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
  bool first_ = true;
};

}  // namespace

std::shared_ptr<ResponseStream> make_change_stream(Store& store, RoadmapQuery filter, std::int64_t since,
                                                   std::chrono::milliseconds heartbeat) {
  return std::make_shared<ChangeStream>(store, std::move(filter), since, heartbeat);
}

}  // namespace veikart
