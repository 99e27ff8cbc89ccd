// POST /v1/sources/{name}/messages with a stand-in parser: receipts, media types, loopback-only writes, and
// pushed records surviving the source's own snapshot pulls.

#include <gtest/gtest.h>

#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;

// Each line "id;title" is a record; a line without ';' is rejected.
class LineParser : public PayloadParser {
 public:
  Expected<Batch> parse(std::string_view body, std::string_view media_type, const Reference&) override {
    if (media_type.rfind("text/plain", 0) != 0) {
      return Error{"expected text/plain, got '" + std::string(media_type) + "'", 415};
    }
    Batch b;
    int line_no = 0;
    for (const auto& line : split_lines(body)) {
      ++line_no;
      const auto semi = line.find(';');
      if (semi == std::string::npos) {
        b.rejected.push_back({"line " + std::to_string(line_no), "expected id;title"});
        continue;
      }
      Json fields = {{"title", line.substr(semi + 1)},
                     {"kind", "regional_project"},
                     {"status", "idea"},
                     {"owner", {{"type", "network"}, {"id", "digi-agder"}, {"name", "Digi Agder"}}}};
      b.fragments.push_back(
          {"push:" + line.substr(0, semi), line.substr(0, semi), "line " + std::to_string(line_no), fields, ""});
    }
    return b;
  }

 private:
  static std::vector<std::string> split_lines(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
      auto end = s.find('\n', start);
      if (end == std::string_view::npos) end = s.size();
      if (end > start) out.emplace_back(s.substr(start, end - start));
      start = end + 1;
    }
    return out;
  }
};

class NoRead : public BlockingSourceAdapter {
 public:
  Expected<Batch> read(PullContext&) override { return Batch{}; }
};

class PushTest : public ::testing::Test {
 protected:
  PushTest() {
    registry_.add({"lines", "{}",
                   [](const SourceConfig&) -> Expected<std::unique_ptr<SourceAdapter>> {
                     return std::unique_ptr<SourceAdapter>(std::make_unique<NoRead>());
                   },
                   [](const SourceConfig&) -> Expected<std::unique_ptr<PayloadParser>> {
                     return std::unique_ptr<PayloadParser>(std::make_unique<LineParser>());
                   }});
    registry_.add({"pull-only", "{}", [](const SourceConfig&) -> Expected<std::unique_ptr<SourceAdapter>> {
                     return std::unique_ptr<SourceAdapter>(std::make_unique<NoRead>());
                   }});
    for (const char* name : {"inbox", "sheet"}) {
      SourceEntry e;
      e.config = SourceConfig{name, std::string(name) == "inbox" ? "lines" : "pull-only", Json::object(), dir_.path()};
      config_.sources.push_back(e);
    }
    store_ = open_sqlite_store(dir_.path().string());
    api_ = std::make_unique<Api>(ApiContext{*store_, config_, reference_, metrics_, [] { return true; }, &registry_});
  }

  HttpResponse post(const std::string& target, const std::string& body, const std::string& type = "text/plain",
                    const std::string& remote = "127.0.0.1") {
    HttpRequest r;
    r.method = "POST";
    parse_target(r, target);
    r.headers = {{"content-type", type}};
    r.body = body;
    r.remote_address = remote;
    return api_->handle(r);
  }

  TempDir dir_;
  AdapterRegistry registry_;
  GatewayConfig config_;
  Reference reference_ = testing::api_reference();
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
};

TEST_F(PushTest, ReceiptListsAcceptedAndRejectedRecords) {
  const auto r = post("/v1/sources/inbox/messages", "a;Første\nbroken\nb;Andre\n");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json receipt = Json::parse(r.body);
  EXPECT_EQ(receipt["accepted"], 2);
  ASSERT_EQ(receipt["rejected"].size(), 1u);
  EXPECT_EQ(receipt["rejected"][0]["element"], "line 2");
  EXPECT_EQ(receipt["rejected"][0]["reason"], "expected id;title");
  EXPECT_TRUE(store_->item("push:a"));
  EXPECT_EQ(store_->item("push:b")->doc["title"], "Andre");
  const auto runs = store_->runs("inbox", 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "partial");
  // The same message again changes nothing.
  const Json again = Json::parse(post("/v1/sources/inbox/messages", "a;Første\nb;Andre\n").body);
  EXPECT_EQ(again["unchanged"], 2);
  EXPECT_EQ(again["accepted"], 0);
}

TEST_F(PushTest, AllRejectedIs422WithElementErrors) {
  const auto r = post("/v1/sources/inbox/messages", "broken\n");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(Json::parse(r.body)["errors"][0]["element"], "line 1");
  EXPECT_EQ(store_->sequence(), 0);
}

TEST_F(PushTest, WrongMediaTypeIs415) {
  const auto r = post("/v1/sources/inbox/messages", "a;b", "application/json");
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(Json::parse(r.body)["detail"].get<std::string>().find("application/json"), std::string::npos);
}

TEST_F(PushTest, OnlyLoopbackMayPushUntilClientsExist) {
  EXPECT_EQ(post("/v1/sources/inbox/messages", "a;b", "text/plain", "192.0.2.10").status, 403);
  EXPECT_EQ(post("/v1/sources/inbox/messages", "a;b", "text/plain", "::1").status, 200);
}

TEST_F(PushTest, UnknownSourcesAndPullOnlySourcesAre404AndGetIs405) {
  EXPECT_EQ(post("/v1/sources/nope/messages", "a;b").status, 404);
  const auto pull_only = post("/v1/sources/sheet/messages", "a;b");
  EXPECT_EQ(pull_only.status, 404);
  EXPECT_NE(Json::parse(pull_only.body)["detail"].get<std::string>().find("does not accept"), std::string::npos);
  HttpRequest get;
  get.method = "GET";
  parse_target(get, "/v1/sources/inbox/messages");
  const auto r = api_->handle(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST");
}

TEST_F(PushTest, PushedRecordsSurviveTheSourcesOwnSnapshotPull) {
  ASSERT_EQ(post("/v1/sources/inbox/messages", "a;Første\n").status, 200);
  ingest_batch(*store_, {"inbox", "lines", 100}, Expected<Batch>(Batch{}), false, now_rfc3339());
  auto item = store_->item("push:a");
  ASSERT_TRUE(item);
  EXPECT_FALSE(item->deleted);
}

}  // namespace
}  // namespace veikart
