#include <gtest/gtest.h>

#include "adapters/common/words.hpp"

namespace veikart::adapters {
namespace {

TEST(Words, StatusWords) {
  const std::vector<std::pair<const char*, ItemStatus>> cases = {
      {"idé", ItemStatus::idea},
      {"Ide", ItemStatus::idea},
      {"IDÉFASE", ItemStatus::idea},
      {"behovsvurdert", ItemStatus::assessed},
      {"Utredning", ItemStatus::assessed},
      {"konseptfase", ItemStatus::assessed},
      {"Prioritert", ItemStatus::prioritised},
      {"Under utvikling", ItemStatus::in_development},
      {"  under   utvikling ", ItemStatus::in_development},
      {"Pågår", ItemStatus::in_development},
      {"gjennomføring", ItemStatus::in_development},
      {"planlegging", ItemStatus::in_development},
      {"Pilotering", ItemStatus::pilot},
      {"utprøving", ItemStatus::pilot},
      {"Klar for innføring", ItemStatus::ready},
      {"klar til bruk", ItemStatus::ready},
      {"Under innføring", ItemStatus::rolling_out},
      {"utrulling", ItemStatus::rolling_out},
      {"Implementering", ItemStatus::rolling_out},
      {"I drift", ItemStatus::in_operation},
      {"Ferdig", ItemStatus::in_operation},
      {"gjennomført", ItemStatus::in_operation},
      {"levert", ItemStatus::in_operation},
      {"Satt på vent", ItemStatus::paused},
      {"pa vent", ItemStatus::paused},
      {"Utsatt", ItemStatus::paused},
      {"Avbrutt", ItemStatus::cancelled},
      {"skrinlagt", ItemStatus::cancelled},
      {"avlyst", ItemStatus::cancelled},
      {"in_development", ItemStatus::in_development},
      {"rolling_out", ItemStatus::rolling_out},
      {"in_operation", ItemStatus::in_operation},
      {"cancelled", ItemStatus::cancelled},
  };
  for (const auto& [word, status] : cases) {
    auto s = status_from_word(word);
    ASSERT_TRUE(s.has_value()) << word;
    EXPECT_EQ(*s, status) << word;
  }
  for (const char* word : {"", "ukjent", "snart ferdig", "drift og utvikling", "in-progress"}) {
    EXPECT_FALSE(status_from_word(word).has_value()) << word;
  }
}

TEST(Words, KindWords) {
  const std::vector<std::pair<const char*, ItemKind>> cases = {
      {"Nasjonal løsning", ItemKind::national_solution},     {"nasjonal fellesløsning", ItemKind::national_solution},
      {"Fellesløsning", ItemKind::national_solution},        {"felleskomponent", ItemKind::national_solution},
      {"Regionalt prosjekt", ItemKind::regional_project},    {"regional", ItemKind::regional_project},
      {"Lokalt prosjekt", ItemKind::local_project},          {"lokal", ItemKind::local_project},
      {"Felles anskaffelse", ItemKind::joint_procurement},   {"anskaffelse", ItemKind::joint_procurement},
      {"felles innkjøp", ItemKind::joint_procurement},       {"Kompetanseløft", ItemKind::competence_programme},
      {"kompetanseprogram", ItemKind::competence_programme}, {"opplæring", ItemKind::competence_programme},
      {"national_solution", ItemKind::national_solution},    {"joint_procurement", ItemKind::joint_procurement},
  };
  for (const auto& [word, kind] : cases) {
    auto k = kind_from_word(word);
    ASSERT_TRUE(k.has_value()) << word;
    EXPECT_EQ(*k, kind) << word;
  }
  EXPECT_FALSE(kind_from_word("prosjekt").has_value());
  EXPECT_FALSE(kind_from_word("nasjonal").has_value());
}

TEST(Words, FundingWords) {
  EXPECT_EQ(funding_from_word("DigiFin"), Funding::digifin);
  EXPECT_EQ(funding_from_word("Staten"), Funding::state);
  EXPECT_EQ(funding_from_word("egne midler"), Funding::own);
  EXPECT_FALSE(funding_from_word("lotto").has_value());
}

struct PriorityCase {
  const char* scheme;
  const char* value;
  const char* canonical;
  int rank;
};

class Priorities : public ::testing::TestWithParam<PriorityCase> {};

TEST_P(Priorities, NormaliseToARank) {
  const auto& c = GetParam();
  auto p = normalise_priority(c.scheme, c.value);
  ASSERT_TRUE(p.ok()) << c.scheme << " " << c.value << ": " << p.error().message;
  EXPECT_EQ(p->scheme, c.scheme);
  EXPECT_EQ(p->value, c.canonical);
  EXPECT_EQ(p->rank, c.rank) << c.scheme << " " << c.value;
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, Priorities,
    ::testing::Values(PriorityCase{"rogaland-ab", "A", "A", 1}, PriorityCase{"rogaland-ab", "b", "B", 2},
                      PriorityCase{"rogaland-ab", "Kategori A", "A", 1},
                      PriorityCase{"trondelag-horizon", "H1", "H1", 1},
                      PriorityCase{"trondelag-horizon", "h2", "H2", 3},
                      PriorityCase{"trondelag-horizon", "Horisont 3", "H3", 5},
                      PriorityCase{"agder-matrix", "27", "27", 1}, PriorityCase{"agder-matrix", "22", "22", 1},
                      PriorityCase{"agder-matrix", "21", "21", 2}, PriorityCase{"agder-matrix", "17", "17", 2},
                      PriorityCase{"agder-matrix", "16", "16", 3}, PriorityCase{"agder-matrix", "12", "12", 3},
                      PriorityCase{"agder-matrix", "11", "11", 4}, PriorityCase{"agder-matrix", "7", "7", 4},
                      PriorityCase{"agder-matrix", "6", "6", 5}, PriorityCase{"agder-matrix", "0", "0", 5},
                      PriorityCase{"kommit", "1", "1", 1}, PriorityCase{"kommit", "5", "5", 5},
                      PriorityCase{"kommit", " 3 ", "3", 3}));

TEST(Words, UnknownPriorityValuesAreErrorsThatQuoteTheValue) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"rogaland-ab", "C"},   {"rogaland-ab", ""},    {"trondelag-horizon", "H4"}, {"trondelag-horizon", "1"},
      {"agder-matrix", "28"}, {"agder-matrix", "-1"}, {"agder-matrix", "høy"},     {"kommit", "0"},
      {"kommit", "6"},        {"kommit", "A"},        {"unknown-scheme", "A"},
  };
  for (const auto& [scheme, value] : cases) {
    auto p = normalise_priority(scheme, value);
    ASSERT_FALSE(p.ok()) << scheme << " " << value;
    EXPECT_NE(
        p.error().message.find(std::string("'") + (std::string(scheme) == "unknown-scheme" ? scheme : value) + "'"),
        std::string::npos)
        << p.error().message;
  }
  EXPECT_TRUE(is_priority_scheme("kommit"));
  EXPECT_FALSE(is_priority_scheme("digi-x"));
}

}  // namespace
}  // namespace veikart::adapters
