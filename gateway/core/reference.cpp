#include "gateway/core/reference.hpp"

#include <algorithm>

#include "gateway/core/text.hpp"

namespace veikart {

void Reference::add_municipality(Municipality m) {
  municipality_names_[fold(m.name)] = m.number;
  const std::string number = m.number;
  municipalities_[number] = std::move(m);
}

void Reference::add_network(Network n) { networks_.push_back(std::move(n)); }

void Reference::add_theme(Theme t) { themes_.push_back(std::move(t)); }

const Municipality* Reference::municipality(std::string_view number) const {
  const auto it = municipalities_.find(std::string(number));
  return it == municipalities_.end() ? nullptr : &it->second;
}

const Municipality* Reference::find_municipality(std::string_view number_or_name) const {
  const auto key = trim(number_or_name);
  if (const auto* m = municipality(key)) return m;
  // Spreadsheets often drop the leading zero of Oslo (301) or write numbers as "1103 Stavanger".
  if (key.size() == 3 && std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (const auto* m = municipality("0" + std::string(key))) return m;
  }
  if (key.size() > 5 && key[4] == ' ') {
    if (const auto* m = municipality(key.substr(0, 4))) {
      if (fold(key.substr(5)) == fold(m->name)) return m;
    }
  }
  std::string folded = fold(key);
  for (const std::string_view suffix : {" kommune", " kommuna", " suohkan"}) {
    if (folded.size() > suffix.size() && folded.ends_with(suffix)) folded.resize(folded.size() - suffix.size());
  }
  const auto it = municipality_names_.find(folded);
  return it == municipality_names_.end() ? nullptr : municipality(it->second);
}

const Network* Reference::network(std::string_view id) const {
  for (const auto& n : networks_) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

const Network* Reference::find_network(std::string_view id_or_name) const {
  if (const auto* n = network(trim(id_or_name))) return n;
  const std::string key = fold(id_or_name);
  for (const auto& n : networks_) {
    if (fold(n.id) == key || fold(n.name) == key) return &n;
    for (const auto& alias : n.aliases) {
      if (fold(alias) == key) return &n;
    }
  }
  return nullptr;
}

const Theme* Reference::theme(std::string_view id) const {
  for (const auto& t : themes_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const Theme* Reference::find_theme(std::string_view id_or_name) const {
  if (const auto* t = theme(trim(id_or_name))) return t;
  const std::string key = fold(id_or_name);
  for (const auto& t : themes_) {
    if (fold(t.id) == key || fold(t.name) == key) return &t;
    for (const auto& alias : t.aliases) {
      if (fold(alias) == key) return &t;
    }
  }
  return nullptr;
}

std::vector<std::string> Reference::networks_of(std::string_view municipality_number) const {
  std::vector<std::string> ids;
  const auto* m = municipality(municipality_number);
  if (m == nullptr) return ids;
  for (const auto& n : networks_) {
    if (std::find(n.counties.begin(), n.counties.end(), m->county) != n.counties.end()) ids.push_back(n.id);
  }
  return ids;
}

std::vector<std::string> Reference::municipalities_of(std::string_view network_id) const {
  std::vector<std::string> numbers;
  const auto* n = network(network_id);
  if (n == nullptr) return numbers;
  for (const auto& [number, m] : municipalities_) {
    if (std::find(n->counties.begin(), n->counties.end(), m.county) != n->counties.end()) numbers.push_back(number);
  }
  return numbers;
}

}  // namespace veikart
