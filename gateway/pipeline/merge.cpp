#include "gateway/pipeline/merge.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace veikart {
namespace {

const std::vector<std::string> kScalarFields = {"title", "summary", "kind", "status", "owner", "priority"};
const std::vector<std::string> kSortedStringLists = {"networks", "municipalities", "themes"};

// The identity of an element in an object list: two sources describing the same element agree on this key.
std::string element_key(const std::string& field, const Json& e) {
  auto s = [&](const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : e.value(k, Json()).dump();
  };
  if (field == "milestones") {
    const std::string kind = s("kind");
    return kind == "other" ? kind + "/" + s("name") : kind;
  }
  if (field == "rollout_waves") return s("name");
  if (field == "costs") return s("year") + "/" + s("category") + "/" + s("per");
  if (field == "resources") return s("role");
  if (field == "benefits") return s("for") + "/" + s("kind") + "/" + s("description");
  if (field == "requirements") return s("capability");
  if (field == "decisions") return s("case_number");
  if (field == "external_ids") return s("system") + "/" + s("id");
  if (field == "links") return s("href");
  return e.dump();
}

struct Candidate {
  std::string source;
  Json value;
};

void record_conflict(Json& conflicts, const std::string& field, const std::vector<Candidate>& candidates) {
  std::set<std::string> distinct;
  for (const auto& c : candidates) distinct.insert(c.value.dump());
  if (distinct.size() < 2) return;
  Json values = Json::array();
  for (const auto& c : candidates) values.push_back({{"source", c.source}, {"value", c.value}});
  conflicts.push_back({{"field", field}, {"values", values}, {"chosen", candidates.front().value}});
}

}  // namespace

Json merge_fragments(const std::string& item_id, std::vector<StoredFragment> fragments) {
  std::stable_sort(fragments.begin(), fragments.end(), [](const StoredFragment& a, const StoredFragment& b) {
    return std::tie(a.precedence, a.source, a.record) < std::tie(b.precedence, b.source, b.record);
  });

  Json item = Json::object();
  Json conflicts = Json::array();
  item["id"] = item_id;

  for (const auto& field : kScalarFields) {
    std::vector<Candidate> candidates;
    for (const auto& f : fragments) {
      if (f.fields.contains(field) && !f.fields[field].is_null()) candidates.push_back({f.source, f.fields[field]});
    }
    item[field] = candidates.empty() ? Json() : candidates.front().value;
    record_conflict(conflicts, field, candidates);
  }

  for (const auto& field : kSortedStringLists) {
    std::set<std::string> values;
    for (const auto& f : fragments) {
      if (!f.fields.contains(field) || !f.fields[field].is_array()) continue;
      for (const auto& v : f.fields[field]) {
        if (v.is_string()) values.insert(v.get<std::string>());
      }
    }
    item[field] = Json(std::vector<std::string>(values.begin(), values.end()));
  }

  {
    Json risks = Json::array();
    std::set<std::string> seen;
    for (const auto& f : fragments) {
      if (!f.fields.contains("risks") || !f.fields["risks"].is_array()) continue;
      for (const auto& r : f.fields["risks"]) {
        if (r.is_string() && seen.insert(r.get<std::string>()).second) risks.push_back(r);
      }
    }
    item["risks"] = risks;
  }

  for (const std::string field : {"milestones", "rollout_waves", "costs", "resources", "benefits", "requirements",
                                  "decisions", "external_ids", "links"}) {
    // Keep first-seen order of keys; per key, the first source (by precedence) wins.
    std::vector<std::string> order;
    std::map<std::string, std::vector<Candidate>> by_key;
    for (const auto& f : fragments) {
      if (!f.fields.contains(field) || !f.fields[field].is_array()) continue;
      std::set<std::string> keys_in_this_fragment;
      for (const auto& e : f.fields[field]) {
        const std::string key = element_key(field, e);
        // Within one source, repeated keys are distinct elements (e.g. two "other" milestones of one row).
        if (!keys_in_this_fragment.insert(key).second) continue;
        auto& list = by_key[key];
        if (list.empty()) order.push_back(key);
        list.push_back({f.source, e});
      }
    }
    Json merged = Json::array();
    for (const auto& key : order) {
      const auto& candidates = by_key[key];
      merged.push_back(candidates.front().value);
      if (field != "external_ids" && field != "links") record_conflict(conflicts, field + "[" + key + "]", candidates);
    }
    if (field == "milestones") {
      std::stable_sort(merged.begin(), merged.end(),
                       [](const Json& a, const Json& b) { return a.value("date", "") < b.value("date", ""); });
    }
    item[field] = merged;
  }

  Json provenance = Json::array();
  for (const auto& f : fragments) {
    Json fields = Json::array();
    for (const auto& [k, v] : f.fields.items()) {
      if (!v.is_null()) fields.push_back(k);
    }
    provenance.push_back({{"source", f.source},
                          {"adapter", f.adapter},
                          {"record", f.record},
                          {"fetched_at", f.fetched_at},
                          {"hash", f.hash},
                          {"fields", fields}});
  }
  item["provenance"] = provenance;
  item["conflicts"] = conflicts;
  return item;
}

}  // namespace veikart
