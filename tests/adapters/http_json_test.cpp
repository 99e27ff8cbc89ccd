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

TEST(HttpJson, AStatusErrorCarriesTheUpstreamsRetryAfter) {
  FetchResponse r;
  r.status = 429;
  r.headers = {{"content-type", "application/problem+json"}, {"retry-after", "120"}};
  r.body = R"({"title": "Too many requests"})";
  auto json = adapters::json_body(r, "https://fiks.example/api/v1/roadmap");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().status, 429);
  ASSERT_TRUE(json.error().retry_after.has_value());
  EXPECT_EQ(*json.error().retry_after, std::chrono::seconds(120));
  EXPECT_NE(json.error().message.find("(Retry-After: 120)"), std::string::npos) << json.error().message;

  r.status = 503;
  r.headers = {{"retry-after", "soon"}};
  auto unreadable = adapters::json_body(r, "https://fiks.example/api/v1/roadmap");
  ASSERT_FALSE(unreadable.ok());
  EXPECT_FALSE(unreadable.error().retry_after.has_value());
}

}  // namespace
}  // namespace veikart
