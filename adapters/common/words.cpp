#include "adapters/common/words.hpp"

#include <map>
#include <string>

#include "gateway/core/text.hpp"

namespace veikart::adapters {
namespace {

/// fold() with "_" and "-" as word breaks first, so "in_development" and "in development" meet.
std::string key(std::string_view word) {
  std::string s(word);
  for (char& c : s) {
    if (c == '_' || c == '-' || c == '/') c = ' ';
  }
  return fold(s);
}

template <class E>
using Vocabulary = std::map<std::string, E, std::less<>>;

template <class E>
Vocabulary<E> build(std::initializer_list<std::pair<std::string_view, E>> words) {
  Vocabulary<E> v;
  for (const auto& [w, e] : words) v.emplace(key(w), e);
  return v;
}

template <class E>
std::optional<E> look_up(const Vocabulary<E>& v, std::string_view word) {
  auto it = v.find(key(word));
  if (it == v.end()) return std::nullopt;
  return it->second;
}

bool digits_only(std::string_view s) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

std::optional<ItemStatus> status_from_word(std::string_view word) {
  using S = ItemStatus;
  static const auto vocabulary = build<S>({
      {"idea", S::idea},
      {"idé", S::idea},
      {"ide", S::idea},
      {"idéfase", S::idea},
      {"idefase", S::idea},
      {"assessed", S::assessed},
      {"behovsvurdert", S::assessed},
      {"vurdert", S::assessed},
      {"utredet", S::assessed},
      {"utredning", S::assessed},
      {"under utredning", S::assessed},
      {"konseptfase", S::assessed},
      {"prioritised", S::prioritised},
      {"prioritized", S::prioritised},
      {"prioritert", S::prioritised},
      {"in_development", S::in_development},
      {"under utvikling", S::in_development},
      {"utvikling", S::in_development},
      {"pågår", S::in_development},
      {"gjennomføring", S::in_development},
      {"under gjennomføring", S::in_development},
      {"planlegging", S::in_development},
      {"under planlegging", S::in_development},
      {"pilot", S::pilot},
      {"pilotering", S::pilot},
      {"utprøving", S::pilot},
      {"ready", S::ready},
      {"klar", S::ready},
      {"klar for innføring", S::ready},
      {"klar til innføring", S::ready},
      {"klar til bruk", S::ready},
      {"rolling_out", S::rolling_out},
      {"innføring", S::rolling_out},
      {"under innføring", S::rolling_out},
      {"utrulling", S::rolling_out},
      {"implementering", S::rolling_out},
      {"in_operation", S::in_operation},
      {"i drift", S::in_operation},
      {"drift", S::in_operation},
      {"ferdig", S::in_operation},
      {"avsluttet", S::in_operation},
      {"levert", S::in_operation},
      {"gjennomført", S::in_operation},
      {"paused", S::paused},
      {"satt på vent", S::paused},
      {"på vent", S::paused},
      {"pause", S::paused},
      {"pausert", S::paused},
      {"utsatt", S::paused},
      {"cancelled", S::cancelled},
      {"canceled", S::cancelled},
      {"avbrutt", S::cancelled},
      {"kansellert", S::cancelled},
      {"stoppet", S::cancelled},
      {"avlyst", S::cancelled},
      {"skrinlagt", S::cancelled},
  });
  return look_up(vocabulary, word);
}

std::optional<ItemKind> kind_from_word(std::string_view word) {
  using K = ItemKind;
  static const auto vocabulary = build<K>({
      {"national_solution", K::national_solution},
      {"nasjonal løsning", K::national_solution},
      {"nasjonal fellesløsning", K::national_solution},
      {"fellesløsning", K::national_solution},
      {"felleskomponent", K::national_solution},
      {"regional_project", K::regional_project},
      {"regionalt prosjekt", K::regional_project},
      {"regional", K::regional_project},
      {"regionalt", K::regional_project},
      {"local_project", K::local_project},
      {"lokalt prosjekt", K::local_project},
      {"lokal", K::local_project},
      {"lokalt", K::local_project},
      {"joint_procurement", K::joint_procurement},
      {"felles anskaffelse", K::joint_procurement},
      {"anskaffelse", K::joint_procurement},
      {"felles innkjøp", K::joint_procurement},
      {"competence_programme", K::competence_programme},
      {"competence_program", K::competence_programme},
      {"kompetanseløft", K::competence_programme},
      {"kompetanseprogram", K::competence_programme},
      {"opplæring", K::competence_programme},
  });
  return look_up(vocabulary, word);
}

std::optional<Funding> funding_from_word(std::string_view word) {
  using F = Funding;
  static const auto vocabulary = build<F>({
      {"digifin", F::digifin},
      {"state", F::state},
      {"stat", F::state},
      {"staten", F::state},
      {"statlig", F::state},
      {"county", F::county},
      {"fylke", F::county},
      {"fylkeskommunen", F::county},
      {"membership", F::membership},
      {"medlemskontingent", F::membership},
      {"kontingent", F::membership},
      {"own", F::own},
      {"egen", F::own},
      {"egne midler", F::own},
      {"kommunen", F::own},
      {"other", F::other},
      {"annet", F::other},
      {"annen", F::other},
  });
  return look_up(vocabulary, word);
}

bool is_priority_scheme(std::string_view scheme) {
  return scheme == "rogaland-ab" || scheme == "trondelag-horizon" || scheme == "agder-matrix" || scheme == "kommit";
}

Expected<Priority> normalise_priority(std::string_view scheme, std::string_view value) {
  const std::string shown(trim(value));
  const std::string k = key(shown);
  auto unknown = [&](std::string_view expected) {
    return Error{"'" + shown + "' is not a priority in scheme " + std::string(scheme) + " (" + std::string(expected) +
                 ")"};
  };
  // The scheme's word may lead the value: "Kategori A", "Horisont 2", "Poeng 17".
  auto after = [&](std::initializer_list<std::string_view> lead) -> std::string {
    for (auto w : lead) {
      std::string p = std::string(w) + " ";
      if (k.rfind(p, 0) == 0) return k.substr(p.size());
    }
    return k;
  };
  if (scheme == "rogaland-ab") {
    std::string v = after({"kategori", "kat"});
    if (v == "a") return Priority{std::string(scheme), "A", 1};
    if (v == "b") return Priority{std::string(scheme), "B", 2};
    return unknown("A or B");
  }
  if (scheme == "trondelag-horizon") {
    // A bare "1" could be any scheme's number, so the horizon must be named: H1, "Horisont 1".
    std::string v = after({"horisont", "horizon", "h"});
    if (v.size() == 2 && v[0] == 'h') {
      v = v.substr(1);
    } else if (v == k) {
      v.clear();
    }
    if (v == "1") return Priority{std::string(scheme), "H1", 1};
    if (v == "2") return Priority{std::string(scheme), "H2", 3};
    if (v == "3") return Priority{std::string(scheme), "H3", 5};
    return unknown("H1, H2 or H3");
  }
  if (scheme == "agder-matrix") {
    std::string v = after({"poeng", "score", "sum"});
    if (shown.find('-') != std::string::npos || !digits_only(v) || to_int(v) > 27)
      return unknown("a total score 0 to 27");
    int score = to_int(v);
    int rank = score >= 22 ? 1 : score >= 17 ? 2 : score >= 12 ? 3 : score >= 7 ? 4 : 5;
    return Priority{std::string(scheme), std::to_string(score), rank};
  }
  if (scheme == "kommit") {
    std::string v = after({"rang", "rank", "prioritet"});
    if (shown.find('-') != std::string::npos || !digits_only(v) || to_int(v) < 1 || to_int(v) > 5)
      return unknown("a rank 1 to 5");
    return Priority{std::string(scheme), std::to_string(to_int(v)), to_int(v)};
  }
  return Error{"unknown priority scheme '" + std::string(scheme) + "'"};
}

}  // namespace veikart::adapters
