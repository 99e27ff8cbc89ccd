// Reading pulled JSON answers: a number out of range is a clear run error, never an exception.

#include <gtest/gtest.h>

#include "adapters/common/http_json.hpp"

namespace veikart {
namespace {

TEST(HttpJson, NumbersOutOfRangeAreAnErrorWithoutTheQuery) {
  FetchResponse r;
  r.status = 200;
  r.headers = {{"content-type", "application/json"}};
  r.body = R"({"results": [{"amount_nok": 1e999}]})";
  auto json = adapters::json_body(r, "https://fiks.example/api/v1/roadmap?token=hemmelig");
  ASSERT_FALSE(json.ok());
  EXPECT_NE(json.error().message.find("out of range"), std::string::npos) << json.error().message;
  EXPECT_EQ(json.error().message.find("hemmelig"), std::string::npos) << json.error().message;

  r.body = R"({"results": [])";
  auto truncated = adapters::json_body(r, "https://fiks.example/api/v1/roadmap");
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos) << truncated.error().message;
}

}  // namespace
}  // namespace veikart
