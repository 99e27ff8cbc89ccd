#include <gtest/gtest.h>

#include "adapters/common/numbers.hpp"

namespace veikart::adapters {
namespace {

struct AmountCase {
  const char* text;
  double amount;
};

class Amounts : public ::testing::TestWithParam<AmountCase> {};

TEST_P(Amounts, ReadsNorwegianWriting) {
  auto v = parse_amount_nok(GetParam().text);
  ASSERT_TRUE(v.ok()) << GetParam().text << ": " << v.error().message;
  EXPECT_DOUBLE_EQ(*v, GetParam().amount) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(NorwegianForms, Amounts,
                         ::testing::Values(AmountCase{"1 234 567,50", 1234567.5}, AmountCase{"1 234 567", 1234567},
                                           AmountCase{"1\xC2\xA0"
                                                      "234\xC2\xA0"
                                                      "567",
                                                      1234567},  // no-break spaces
                                           AmountCase{"1\xE2\x80\xAF"
                                                      "234\xE2\x80\xAF"
                                                      "567,25",
                                                      1234567.25},  // narrow no-break
                                           AmountCase{"kr 1.234.567", 1234567}, AmountCase{"1.234.567 kr", 1234567},
                                           AmountCase{"Kr. 1.234.567,50", 1234567.5}, AmountCase{"NOK 12 000", 12000},
                                           AmountCase{"1,2 mill.", 1200000}, AmountCase{"1,2 mill", 1200000},
                                           AmountCase{"1,2 MNOK", 1200000}, AmountCase{"3 millioner", 3000000},
                                           AmountCase{"2 mrd", 2000000000}, AmountCase{"0,5 mrd.", 500000000},
                                           AmountCase{"500 000,-", 500000}, AmountCase{"kr 500 000,-", 500000},
                                           AmountCase{"12000", 12000}, AmountCase{"12.5", 12.5}, AmountCase{"0", 0},
                                           AmountCase{"-25 000", -25000}, AmountCase{"1,234,567.50", 1234567.5},
                                           AmountCase{"50 tusen", 50000},
                                           // Plain numbers as numeric cells give them, read by the short path.
                                           AmountCase{"4866727.21", 4866727.21}, AmountCase{"-1500", -1500},
                                           AmountCase{"1.2345", 1.2345}, AmountCase{" 42 ", 42},
                                           // ... except a dot before exactly three digits, a thousands mark.
                                           AmountCase{"1.234", 1234}, AmountCase{"-1.500", -1500}));

TEST(Numbers, RejectsWhatIsNotAnAmount) {
  for (const char* text : {"", "kr", "mye", "ca. mye", "12 34", "1 2345", "1.23.456", "1,2,3,4.5.6", "12abc",
                           "1,2 mill mill", "1..2", "50 %", "2021/123", "5.", ".5", "-", "1e5", "0x10", "1.2.3"}) {
    auto v = parse_amount_nok(text);
    EXPECT_FALSE(v.ok()) << text << " read as " << (v.ok() ? *v : 0);
  }
}

TEST(Numbers, AmountErrorQuotesTheText) {
  auto v = parse_amount_nok(" noe ");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, "cannot read amount 'noe'");
}

struct ShareCase {
  const char* text;
  double share;
};

class Shares : public ::testing::TestWithParam<ShareCase> {};

TEST_P(Shares, ReadsPercentagesAndFractions) {
  auto v = parse_share(GetParam().text);
  ASSERT_TRUE(v.ok()) << GetParam().text << ": " << v.error().message;
  EXPECT_DOUBLE_EQ(*v, GetParam().share) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(NorwegianForms, Shares,
                         ::testing::Values(ShareCase{"50 %", 0.5}, ShareCase{"inntil 50 %", 0.5},
                                           ShareCase{"Inntil 50%", 0.5}, ShareCase{"50%", 0.5}, ShareCase{"0,5", 0.5},
                                           ShareCase{"0.5", 0.5}, ShareCase{"20\xC2\xA0%", 0.2},
                                           ShareCase{"ca. 0,5 årsverk", 0.5}, ShareCase{"50 % stilling", 0.5},
                                           ShareCase{"100 %", 1.0}, ShareCase{"12,5 %", 0.125},
                                           ShareCase{"opptil 30 prosent", 0.3}, ShareCase{"2", 2.0}));

TEST(Numbers, RejectsWhatIsNotAShare) {
  for (const char* text : {"", "%", "halv stilling", "-10 %", "50", "inntil", "50 % 50 %"}) {
    auto v = parse_share(text);
    EXPECT_FALSE(v.ok()) << text << " read as " << (v.ok() ? *v : 0);
  }
  auto bare = parse_share("50");
  ASSERT_FALSE(bare.ok());
  EXPECT_NE(bare.error().message.find("'50'"), std::string::npos);
}

}  // namespace
}  // namespace veikart::adapters
