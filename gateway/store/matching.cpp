#include "gateway/store/store.hpp"

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

bool change_matches(const RoadmapQuery& query, const Change& change) {
  // Deletions carry no item to filter on; every subscriber gets them and ignores ids it does not know.
  if (change.op != "upsert") return true;
  return change.item && item_matches(query, *change.item);
}

Json change_to_json(const Change& change) {
  return {{"seq", change.seq}, {"id", change.id}, {"op", change.op}, {"item", change.item ? *change.item : Json()}};
}

}  // namespace veikart
