#include "gateway/api/stream.hpp"

#include <algorithm>

namespace veikart {
namespace {

bool any_in(const Json& list, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(), [&](const Json& v) {
    return v.is_string() && std::find(wanted.begin(), wanted.end(), v.get<std::string>()) != wanted.end();
  });
}

bool one_of(const Json& value, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return true;
  return value.is_string() && std::find(wanted.begin(), wanted.end(), value.get<std::string>()) != wanted.end();
}

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
      if (c.op == "upsert" && (!c.item || !item_matches(filter_, *c.item))) continue;
      // Deletions carry no item to filter on; every subscriber gets them and ignores unknown ids.
      const Json change = {{"seq", c.seq}, {"id", c.id}, {"op", c.op}, {"item", c.item ? *c.item : Json()}};
      out += "id: " + std::to_string(c.seq) + "\nevent: " + c.op +
             "\ndata: " + change.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n\n";
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

bool item_matches(const RoadmapQuery& q, const Json& item) {
  if (!item.is_object()) return false;
  if (!any_in(item.value("networks", Json::array()), q.networks)) return false;
  if (!any_in(item.value("municipalities", Json::array()), q.municipalities)) return false;
  if (!any_in(item.value("themes", Json::array()), q.themes)) return false;
  if (!one_of(item.value("status", Json()), q.statuses)) return false;
  if (!one_of(item.value("kind", Json()), q.kinds)) return false;
  if (q.from || q.to) {
    const std::string from = q.from.value_or("0000-01-01");
    const std::string to = q.to.value_or("9999-12-31");
    bool in_window = false;
    for (const auto& m : item.value("milestones", Json::array())) {
      const std::string d = m.value("date", "");
      in_window |= !d.empty() && d >= from && d <= to;
    }
    for (const auto& w : item.value("rollout_waves", Json::array())) {
      const std::string start = w.value("start", Json()).is_string() ? w["start"].get<std::string>() : "";
      const std::string end = w.value("end", Json()).is_string() ? w["end"].get<std::string>() : "";
      const std::string s = start.empty() ? end : start;
      const std::string e = end.empty() ? start : end;
      in_window |= !s.empty() && s <= to && e >= from;
    }
    if (!in_window) return false;
  }
  return true;
}

std::shared_ptr<ResponseStream> make_change_stream(Store& store, RoadmapQuery filter, std::int64_t since,
                                                   std::chrono::milliseconds heartbeat) {
  return std::make_shared<ChangeStream>(store, std::move(filter), since, heartbeat);
}

}  // namespace veikart
