// Untrusted JSON: depth is checked before parsing; errors name the place.

#include <gtest/gtest.h>

#include "gateway/core/json_guard.hpp"

namespace veikart {
namespace {

TEST(JsonGuard, DepthIsCheckedBeforeParsing) {
  EXPECT_TRUE(parse_untrusted_json("[[[1]]]", 3));
  auto deep = parse_untrusted_json("[[[[1]]]]", 3);
  ASSERT_FALSE(deep);
  EXPECT_NE(deep.error().message.find("deeper than 3"), std::string::npos);
  EXPECT_EQ(deep.error().status, 400);
  // Brackets inside strings do not count; escaped quotes do not end a string.
  EXPECT_TRUE(parse_untrusted_json(R"({"a": "[[[[[[\"[[[["})", 2));
  // A million opening brackets is refused without building anything.
  EXPECT_FALSE(parse_untrusted_json(std::string(1'000'000, '[')));
}

TEST(JsonGuard, SyntaxAndEncodingErrors) {
  auto bad = parse_untrusted_json("{\"a\": }");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(bad.error().message.find("line 1"), std::string::npos) << bad.error().message;
  auto latin1 = parse_untrusted_json("[\"bl\xE5\"]");
  ASSERT_FALSE(latin1);
  EXPECT_NE(latin1.error().message.find("UTF-8"), std::string::npos) << latin1.error().message;
  EXPECT_EQ((*parse_untrusted_json("{\"å\": [1, 2]}"))["å"].size(), 2u);
}

TEST(JsonGuard, NumbersOutOfRangeAreErrorsNotExceptions) {
  for (const char* text : {"[1e999]", "555E555", "{\"amount_nok\": -1e400}"}) {
    auto r = parse_untrusted_json(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().status, 400) << text;
    EXPECT_NE(r.error().message.find("not valid JSON"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace veikart
