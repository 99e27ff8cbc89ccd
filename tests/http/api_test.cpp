#include <zlib.h>

#include <gtest/gtest.h>

#include "gateway/core/schema.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::SeededApi;

Json body(const HttpResponse& r) { return Json::parse(r.body); }

std::string gunzip(const std::string& data) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  out.resize(zs.total_out);
  return out;
}

TEST(Api, RoadmapListsItemsThatValidateAgainstTheSchema) {
  SeededApi api(12);
  const auto r = api.get("/v1/roadmap");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  const Json b = body(r);
  ASSERT_EQ(b["items"].size(), 12u);
  EXPECT_TRUE(b["next_cursor"].is_null());
  EXPECT_EQ(b["sequence"], api.store().sequence());
  for (const auto& item : b["items"]) {
    const auto issues = roadmap_item_schema().validate(item);
    EXPECT_TRUE(issues.empty()) << item["id"] << ": "
                                << (issues.empty() ? "" : issues[0].where + " " + issues[0].reason);
  }
  EXPECT_EQ(b["items"][0]["title"], "Prosjekt 0 – blåbær");
}

TEST(Api, FiltersCombine) {
  SeededApi api(30);
  auto count = [&](const std::string& q) {
    const auto r = api.get("/v1/roadmap?" + q);
    EXPECT_EQ(r.status, 200) << q << " " << r.body;
    return body(r)["items"].size();
  };
  EXPECT_EQ(count("network=digi-agder"), 10u);
  EXPECT_EQ(count("network=digi-agder,digi-rogaland"), 20u);
  EXPECT_EQ(count("network=digi-agder&network=digi-rogaland"), 20u);
  EXPECT_EQ(count("municipality=4204"), 10u);
  EXPECT_EQ(count("theme=e-health"), 15u);
  EXPECT_EQ(count("status=idea"), 15u);
  EXPECT_EQ(count("kind=national_solution"), 8u);
  EXPECT_EQ(count("network=digi-agder&theme=e-health"), 5u);
  // Rollout years cycle 2024..2028 with i % 5.
  EXPECT_EQ(count("from=2026-01-01&to=2026-12-31"), 6u);
  EXPECT_EQ(count("from=2028-01-01"), 6u);
  EXPECT_EQ(count("to=2024-12-31"), 6u);
}

TEST(Api, CursorPagingVisitsEveryItemOnce) {
  SeededApi api(25);
  std::set<std::string> ids;
  std::string target = "/v1/roadmap?limit=7";
  int pages = 0;
  while (true) {
    const auto r = api.get(target);
    ASSERT_EQ(r.status, 200);
    const Json b = body(r);
    ++pages;
    for (const auto& it : b["items"]) EXPECT_TRUE(ids.insert(it["id"]).second);
    if (b["next_cursor"].is_null()) break;
    target = "/v1/roadmap?limit=7&cursor=" + b["next_cursor"].get<std::string>();
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(ids.size(), 25u);
}

TEST(Api, BadQueryParametersAreProblemsNamingEachParameter) {
  SeededApi api(3);
  const auto r = api.get(
      "/v1/roadmap?network=digi-atlantis&municipality=9999&status=done&from=2025-02-30&limit=0"
      "&cursor=zzz&colour=red");
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  const Json b = body(r);
  EXPECT_EQ(b["status"], 400);
  EXPECT_EQ(b["type"], "urn:veikart:problem:invalid-query");
  std::set<std::string> pointers;
  for (const auto& e : b["errors"]) pointers.insert(e["pointer"]);
  EXPECT_EQ(pointers,
            (std::set<std::string>{"network", "municipality", "status", "from", "limit", "cursor", "colour"}));
}

TEST(Api, ItemByIdWithProvenanceAnd404) {
  SeededApi api(3);
  const auto r = api.get("/v1/roadmap/demo:p001");
  ASSERT_EQ(r.status, 200);
  const Json b = body(r);
  EXPECT_EQ(b["id"], "demo:p001");
  ASSERT_EQ(b["provenance"].size(), 1u);
  EXPECT_EQ(b["provenance"][0]["source"], "demo-source");
  EXPECT_EQ(b["provenance"][0]["record"], "demo:p001");
  const auto missing = api.get("/v1/roadmap/demo:nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(body(missing)["detail"], "There is no roadmap item 'demo:nope'.");
}

TEST(Api, WithdrawnItemIsGone) {
  SeededApi api(2);
  ingest_batch(api.store(), {"demo-source", "spreadsheet", 100}, Expected<Batch>(Batch{}), false, now_rfc3339());
  EXPECT_EQ(api.get("/v1/roadmap/demo:p000").status, 410);
  EXPECT_TRUE(body(api.get("/v1/roadmap"))["items"].empty());
}

TEST(Api, EtagAndIfNoneMatchGive304UntilTheDataChanges) {
  SeededApi api(5);
  const auto first = api.get("/v1/roadmap?network=digi-agder");
  const std::string etag = first.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  const auto again = api.get("/v1/roadmap?network=digi-agder", {{"if-none-match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("ETag"), etag);
  EXPECT_EQ(api.get("/v1/roadmap?network=digi-agder", {{"if-none-match", "\"other\", " + etag}}).status, 304);
  EXPECT_EQ(api.get("/v1/roadmap?network=digi-agder", {{"if-none-match", "\"other\""}}).status, 200);

  Batch b;
  b.fragments.push_back({"demo:new", "demo:new", "row 2", testing::seeded_fields(0), ""});
  ingest_batch(api.store(), {"other-source", "spreadsheet", 100}, Expected<Batch>(b), false, now_rfc3339());
  const auto changed = api.get("/v1/roadmap?network=digi-agder", {{"if-none-match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.header("ETag"), etag);

  const auto item = api.get("/v1/roadmap/demo:p000");
  EXPECT_EQ(api.get("/v1/roadmap/demo:p000", {{"if-none-match", item.header("ETag")}}).status, 304);
}

TEST(Api, GzipWhenAcceptedWithItsOwnEtag) {
  SeededApi api(20);
  const auto plain = api.get("/v1/roadmap");
  const auto zipped = api.get("/v1/roadmap", {{"accept-encoding", "gzip, deflate, br"}});
  ASSERT_EQ(zipped.status, 200);
  EXPECT_EQ(zipped.header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped.header("Vary"), "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), plain.body.size());
  EXPECT_EQ(gunzip(zipped.body), plain.body);
  EXPECT_NE(zipped.header("ETag"), plain.header("ETag"));
  EXPECT_EQ(api.get("/v1/roadmap", {{"accept-encoding", "gzip;q=0"}}).header("Content-Encoding"), "");
  EXPECT_EQ(api.get("/v1/roadmap", {{"accept-encoding", "gzip"}, {"if-none-match", zipped.header("ETag")}}).status,
            304);
}

TEST(Api, ChangesFeedPagesThroughTheLog) {
  SeededApi api(5);
  const auto r = api.get("/v1/changes?since=0&limit=3");
  ASSERT_EQ(r.status, 200);
  const Json b = body(r);
  ASSERT_EQ(b["changes"].size(), 3u);
  EXPECT_EQ(b["changes"][0]["op"], "upsert");
  EXPECT_TRUE(b["changes"][0]["item"].is_object());
  const auto next = b["next_since"].get<std::int64_t>();
  EXPECT_EQ(next, b["changes"][2]["seq"].get<std::int64_t>());
  const Json rest = body(api.get("/v1/changes?since=" + std::to_string(next)));
  EXPECT_EQ(rest["changes"].size(), 2u);
  const Json none = body(api.get("/v1/changes?since=" + std::to_string(rest["next_since"].get<std::int64_t>())));
  EXPECT_TRUE(none["changes"].empty());
  EXPECT_EQ(api.get("/v1/changes?since=-1").status, 400);
  EXPECT_EQ(api.get("/v1/changes?since=abc").status, 400);
}

TEST(Api, SourcesShowRunsWithRejectedRows) {
  SeededApi api(3);
  const auto r = api.get("/v1/sources");
  ASSERT_EQ(r.status, 200);
  const Json b = body(r);
  ASSERT_EQ(b["sources"].size(), 1u);
  const Json& s = b["sources"][0];
  EXPECT_EQ(s["name"], "demo-source");
  EXPECT_EQ(s["status"], "partial");
  EXPECT_EQ(s["interval_seconds"], 300);
  EXPECT_EQ(s["last_run"]["accepted"], 3);
  EXPECT_EQ(s["last_run"]["rejected"], 1);
  EXPECT_EQ(s["last_run"]["errors"][0]["where"], "row 99");
  EXPECT_EQ(s["last_run"]["errors"][0]["reason"], "column 'Oppstart': cannot read date 'snart'");
}

TEST(Api, OperationalRoutes) {
  SeededApi api(2);
  EXPECT_EQ(body(api.get("/healthz"))["status"], "ok");
  EXPECT_EQ(api.get("/readyz").status, 200);
  const auto spec = api.get("/openapi.yaml");
  EXPECT_EQ(spec.status, 200);
  EXPECT_NE(spec.body.find("openapi: 3.1"), std::string::npos);
  EXPECT_NE(spec.body.find("/v1/roadmap"), std::string::npos);
  api.get("/v1/roadmap");
  api.get("/nope");
  const auto m = api.get("/metrics");
  EXPECT_EQ(m.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("veikart_http_requests_total{route=\"/v1/roadmap\",status=\"200\"} 1"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("veikart_http_requests_total{route=\"unmatched\",status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("veikart_http_request_duration_seconds_bucket{route=\"/v1/roadmap\",le=\"+Inf\"} 1"),
            std::string::npos);
}

TEST(Api, ReadyzIsNotReadyBeforeTheFirstPass) {
  SeededApi api(1);
  bool started = false;
  Api gated({api.store(), api.config(), api.reference(), api.metrics(), [&] { return started; }});
  HttpRequest r;
  r.method = "GET";
  parse_target(r, "/readyz");
  EXPECT_EQ(gated.handle(r).status, 503);
  started = true;
  EXPECT_EQ(gated.handle(r).status, 200);
}

TEST(Api, UnknownRoutes404AndWrongMethods405WithAllow) {
  SeededApi api(1);
  const auto missing = api.get("/v2/roadmap");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
  const auto wrong = api.request("DELETE", "/v1/roadmap");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "GET, HEAD");
  EXPECT_EQ(body(wrong)["status"], 405);
  EXPECT_EQ(api.request("POST", "/v1/roadmap/demo:p000").status, 405);
}

}  // namespace
}  // namespace veikart
