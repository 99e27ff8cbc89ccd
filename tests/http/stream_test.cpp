// The live stream as a client sees it over a real socket: new changes arrive within a second, a client that
// disconnects resumes with Last-Event-ID and sees every change exactly once and in order, filters apply,
// heartbeats keep idle connections alive.

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "gateway/api/stream.hpp"
#include "gateway/gateway_test_support.hpp"
#include "gateway/http/server.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::RawClient;
using testing::SeededApi;
using testing::status_of;

struct Event {
  std::int64_t id = 0;
  std::string event;
  Json data;
};

// Parses complete SSE events out of a buffer (comments and the retry field are skipped).
std::vector<Event> parse_events(const std::string& raw) {
  std::vector<Event> events;
  const auto body_start = raw.find("\r\n\r\n");
  std::string body = body_start == std::string::npos ? raw : raw.substr(body_start + 4);
  std::size_t pos = 0;
  while (true) {
    const auto end = body.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string block = body.substr(pos, end - pos);
    pos = end + 2;
    Event e;
    bool has_data = false;
    std::size_t line_start = 0;
    while (line_start <= block.size()) {
      auto line_end = block.find('\n', line_start);
      if (line_end == std::string::npos) line_end = block.size();
      const std::string line = block.substr(line_start, line_end - line_start);
      if (line.rfind("id: ", 0) == 0) e.id = std::stoll(line.substr(4));
      if (line.rfind("event: ", 0) == 0) e.event = line.substr(7);
      if (line.rfind("data: ", 0) == 0) {
        e.data = Json::parse(line.substr(6));
        has_data = true;
      }
      line_start = line_end + 1;
    }
    if (has_data) events.push_back(std::move(e));
  }
  return events;
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<Api>(ApiContext{seeded_.store(), seeded_.config(), seeded_.reference(), seeded_.metrics(),
                                            [] { return true; }, nullptr, std::chrono::milliseconds(500)});
    server_ = std::make_unique<HttpServer>(
        io_, pool_, [this](const HttpRequest& r) { return api_->handle(r); }, Limits{}, nullptr);
    server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    server_->stop();
    io_.stop();
    thread_.join();
    pool_.join();
  }

  // Changes one item through the pipeline, as an ingestion run would.
  void change(int i, const std::string& title) {
    Json fields = testing::seeded_fields(i);
    fields["title"] = title;
    Batch b;
    b.snapshot = false;
    b.fragments.push_back({"demo:live" + std::to_string(i), "live" + std::to_string(i), "row 1", fields, ""});
    ingest_batch(seeded_.store(), {"live", "spreadsheet", 100}, Expected<Batch>(b), false, now_rfc3339());
  }

  std::string open(RawClient& c, const std::string& target, const std::string& extra = "") {
    c.send_all("GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" + extra + "\r\n");
    return c.read_all(std::chrono::milliseconds(300));
  }

  SeededApi seeded_{3};
  std::unique_ptr<Api> api_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(StreamTest, NewChangesArriveWithinASecond) {
  RawClient c(server_->port());
  std::string raw = open(c, "/v1/stream");
  ASSERT_EQ(status_of(raw), 200) << raw;
  EXPECT_NE(raw.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_TRUE(parse_events(raw).empty()) << "only changes after connecting are sent by default";
  const auto t0 = std::chrono::steady_clock::now();
  change(1, "Live endring");
  std::vector<Event> events;
  while (events.empty() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3)) {
    raw += c.read_all(std::chrono::milliseconds(100));
    events = parse_events(raw);
  }
  const auto waited = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(events.size(), 1u) << raw;
  EXPECT_LT(waited, std::chrono::seconds(1));
  EXPECT_EQ(events[0].event, "upsert");
  EXPECT_EQ(events[0].data["item"]["title"], "Live endring");
  EXPECT_EQ(events[0].id, events[0].data["seq"].get<std::int64_t>());
  EXPECT_EQ(events[0].id, seeded_.store().sequence());
}

TEST_F(StreamTest, ResumingWithLastEventIdSeesEveryChangeOnceInOrder) {
  std::vector<Event> seen;
  std::int64_t last = seeded_.store().sequence();
  change(1, "a1");
  {
    RawClient c(server_->port());
    std::string raw = open(c, "/v1/stream", "Last-Event-ID: " + std::to_string(last) + "\r\n");
    change(2, "a2");
    raw += c.read_all(std::chrono::milliseconds(800));
    for (auto& e : parse_events(raw)) seen.push_back(std::move(e));
  }  // the client goes away
  ASSERT_FALSE(seen.empty());
  change(1, "a1 again");
  change(4, "a4");  // happens while disconnected
  {
    RawClient c(server_->port());
    std::string raw = open(c, "/v1/stream?since=" + std::to_string(seen.back().id));
    change(5, "a5");
    raw += c.read_all(std::chrono::milliseconds(800));
    for (auto& e : parse_events(raw)) seen.push_back(std::move(e));
  }
  const auto all = seeded_.store().changes(last, 100);
  ASSERT_EQ(seen.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(seen[i].id, all[i].seq) << i;
    EXPECT_EQ(seen[i].data["id"], all[i].id) << i;
  }
}

TEST_F(StreamTest, FiltersApplyAndHeartbeatsKeepIdleStreamsAlive) {
  RawClient c(server_->port());
  std::string raw = open(c, "/v1/stream?network=digi-rogaland");
  change(0, "agder");     // item 0 is in digi-agder
  change(1, "rogaland");  // item 1 is in digi-rogaland
  raw += c.read_all(std::chrono::milliseconds(1500));
  const auto events = parse_events(raw);
  ASSERT_EQ(events.size(), 1u) << raw;
  EXPECT_EQ(events[0].data["item"]["title"], "rogaland");
  EXPECT_NE(raw.find(": heartbeat"), std::string::npos) << "no heartbeat within 1.5 s at a 0.5 s interval";
}

TEST_F(StreamTest, BadParametersAreProblems) {
  RawClient c(server_->port());
  c.send_all("GET /v1/stream?since=abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(c.read_all()), 400);
  RawClient d(server_->port());
  d.send_all("GET /v1/stream?network=nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(d.read_all()), 400);
}

TEST(StreamFilter, ItemMatchesUsesTheFeedRules) {
  const Json item = testing::seeded_fields(3);  // digi-agder, municipality 4204, education, idea, 2027-09-01
  RoadmapQuery q;
  EXPECT_TRUE(item_matches(q, item));
  q.networks = {"digi-rogaland"};
  EXPECT_FALSE(item_matches(q, item));
  q.networks = {"digi-rogaland", "digi-agder"};
  EXPECT_TRUE(item_matches(q, item));
  q.municipalities = {"4204"};
  q.statuses = {"idea"};
  q.from = "2027-01-01";
  q.to = "2027-12-31";
  EXPECT_TRUE(item_matches(q, item));
  q.to = "2027-06-30";
  EXPECT_FALSE(item_matches(q, item));
}

// A live client that falls more than the bound behind gets a final event with where to resume, and the stream
// ends; a client resuming from far back is catching up and is not cut off.
TEST(ChangeStreamLag, ASlowClientThatFallsBehindGetsAFinalCutoffEvent) {
  SeededApi api(3);
  const std::int64_t caught_up_at = api.store().sequence();
  auto stream = make_change_stream(api.store(), RoadmapQuery{}, 0, std::chrono::seconds(15), 5);
  auto first = stream->next();
  EXPECT_FALSE(first.done);
  EXPECT_NE(first.data.find("id: " + std::to_string(caught_up_at) + "\n"), std::string::npos) << first.data;

  api.store().write([&](StoreTransaction& txn) {
    for (int i = 0; i < 6; ++i) {
      const std::string id = "ks:lag-" + std::to_string(i);
      txn.upsert_item(id, testing::item_body(id, "Etterslep " + std::to_string(i)));
    }
    return true;
  });
  auto last = stream->next();
  EXPECT_TRUE(last.done);
  EXPECT_NE(last.data.find("event: cutoff\n"), std::string::npos) << last.data;
  EXPECT_NE(last.data.find("\"resume_from\":" + std::to_string(caught_up_at)), std::string::npos) << last.data;
  EXPECT_EQ(last.data.find("Etterslep"), std::string::npos) << "no events after the bound";

  auto resumed = make_change_stream(api.store(), RoadmapQuery{}, caught_up_at, std::chrono::seconds(15), 5);
  auto chunk = resumed->next();
  EXPECT_FALSE(chunk.done);
  EXPECT_NE(chunk.data.find("Etterslep 5"), std::string::npos) << chunk.data;
}

}  // namespace
}  // namespace veikart
