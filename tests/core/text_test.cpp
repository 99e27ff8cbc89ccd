#include <gtest/gtest.h>

#include "gateway/core/reference.hpp"
#include "gateway/core/text.hpp"

namespace veikart {
namespace {

TEST(Text, FoldMatchesNorwegianHeaderWordsLoosely) {
  EXPECT_EQ(fold("Innføring "), "innforing");
  EXPECT_EQ(fold("INNFØRING"), "innforing");
  EXPECT_EQ(fold("Fagområde"), "fagomrade");
  EXPECT_EQ(fold("Kommunenr."), "kommunenr");
  EXPECT_EQ(fold("Investering  pr.\tkommune"), "investering pr kommune");
  EXPECT_EQ(fold("Bærum"), "baerum");
  EXPECT_EQ(fold("Čáhcesuolu"), "cahcesuolu");
}

TEST(Text, SlugifyMakesAsciiIds) {
  EXPECT_EQ(slugify("Felles sak/arkiv Trøndelag"), "felles-sak-arkiv-trondelag");
  EXPECT_EQ(slugify("  DigiHelse  "), "digihelse");
}

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("blåbær"));
  EXPECT_FALSE(is_valid_utf8("bl\xE5"));           // Windows-1252 å
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));         // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));     // surrogate
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));         // truncated
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));  // emoji
}

TEST(Text, Cp1252ConvertsNorwegianLettersAndEuro) {
  EXPECT_EQ(cp1252_to_utf8("Innf\xF8ring \xE6\xF8\xE5 \xC6\xD8\xC5 \x80"), "Innføring æøå ÆØÅ €");
  EXPECT_EQ(cp1252_to_utf8("\x81"), "\xEF\xBF\xBD");
}

TEST(Text, TrimAndSplit) {
  EXPECT_EQ(trim("\xC2\xA0 x y \t\r\n"), "x y");
  const auto parts = split_list(" 1103; Sandnes ,,Sola/", ";,/");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "1103");
  EXPECT_EQ(parts[1], "Sandnes");
  EXPECT_EQ(parts[2], "Sola");
  EXPECT_EQ(strip_utf8_bom("\xEF\xBB\xBFID"), "ID");
}

Reference sample_reference() {
  Reference ref;
  ref.add_municipality({"0301", "Oslo", "03"});
  ref.add_municipality({"1103", "Stavanger", "11"});
  ref.add_municipality({"1108", "Sandnes", "11"});
  ref.add_municipality({"4204", "Kristiansand", "42"});
  ref.add_municipality({"5001", "Trondheim - Tråante", "50"});
  ref.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {"Rogaland"}});
  ref.add_network({"digi-agder", "Digi Agder", {"42"}, {}});
  ref.add_theme({"e-health", "E-helse", {"Helse", "Velferdsteknologi"}});
  return ref;
}

TEST(Reference, FindsMunicipalitiesByNumberAndName) {
  const Reference ref = sample_reference();
  ASSERT_NE(ref.find_municipality("1103"), nullptr);
  EXPECT_EQ(ref.find_municipality("stavanger")->number, "1103");
  EXPECT_EQ(ref.find_municipality("Sandnes kommune")->number, "1108");
  EXPECT_EQ(ref.find_municipality("301")->number, "0301");
  EXPECT_EQ(ref.find_municipality("1103 Stavanger")->number, "1103");
  EXPECT_EQ(ref.find_municipality("TRONDHEIM TRÅANTE")->number, "5001");
  EXPECT_EQ(ref.find_municipality("Stavangerr"), nullptr);
  EXPECT_EQ(ref.find_municipality("9999"), nullptr);
}

TEST(Reference, NetworksAndThemesResolveByAlias) {
  const Reference ref = sample_reference();
  EXPECT_EQ(ref.find_network("Digi Rogaland")->id, "digi-rogaland");
  EXPECT_EQ(ref.find_network("rogaland")->id, "digi-rogaland");
  EXPECT_EQ(ref.find_network("digi-agder")->id, "digi-agder");
  EXPECT_EQ(ref.find_network("Digi Nowhere"), nullptr);
  EXPECT_EQ(ref.find_theme("velferdsteknologi")->id, "e-health");
  EXPECT_EQ(ref.find_theme("e-health")->id, "e-health");
  EXPECT_EQ(ref.find_theme("Skole"), nullptr);
}

TEST(Reference, MembershipFollowsCounties) {
  const Reference ref = sample_reference();
  EXPECT_EQ(ref.networks_of("1108"), std::vector<std::string>{"digi-rogaland"});
  EXPECT_TRUE(ref.networks_of("0301").empty());
  EXPECT_EQ(ref.municipalities_of("digi-rogaland"), (std::vector<std::string>{"1103", "1108"}));
}

}  // namespace
}  // namespace veikart
