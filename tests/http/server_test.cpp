#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <thread>

#include "gateway/http/server.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::body_of;
using testing::RawClient;
using testing::SeededApi;
using testing::status_of;

// A real server on 127.0.0.1, port 0, with the seeded API behind it.
class ServerTest : public ::testing::Test {
 protected:
  void start(Limits limits) {
    server_ = std::make_unique<HttpServer>(
        io_, pool_, [this](const HttpRequest& r) { return api_.api().handle(r); }, limits, &api_.metrics());
    server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) server_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    pool_.join();
  }
  Limits small_limits() {
    Limits l;
    l.max_body_bytes = 64 * 1024;
    l.max_header_bytes = 4 * 1024;
    l.request_timeout = std::chrono::seconds(1);
    l.idle_timeout = std::chrono::seconds(1);
    l.max_connections = 8;
    return l;
  }

  SeededApi api_{4};
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

TEST_F(ServerTest, ServesTheFeedWithKeepAlive) {
  start(small_limits());
  RawClient c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_all("GET /v1/roadmap?limit=2 HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const std::string first = c.read_response();
  ASSERT_EQ(status_of(first), 200) << first;
  const Json b = Json::parse(body_of(first));
  EXPECT_EQ(b["items"].size(), 2u);
  EXPECT_FALSE(b["next_cursor"].is_null());
  ASSERT_TRUE(c.send_all("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const std::string second = c.read_response();
  EXPECT_EQ(status_of(second), 200);
  EXPECT_EQ(Json::parse(body_of(second))["status"], "ok");
}

TEST_F(ServerTest, HeadSendsHeadersOnly) {
  start(small_limits());
  RawClient c(server_->port());
  ASSERT_TRUE(c.send_all("HEAD /v1/roadmap HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  const std::string raw = c.read_all();
  EXPECT_EQ(status_of(raw), 200);
  EXPECT_NE(raw.find("Content-Length: "), std::string::npos);
  EXPECT_NE(raw.find("ETag: "), std::string::npos);
  EXPECT_TRUE(body_of(raw).empty());
}

TEST_F(ServerTest, OversizedHeadersGet431) {
  start(small_limits());
  RawClient c(server_->port());
  std::string req = "GET /v1/roadmap HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 200; ++i) req += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'x') + "\r\n";
  req += "\r\n";
  c.send_all(req);
  const std::string raw = c.read_all();
  EXPECT_EQ(status_of(raw), 431) << raw.substr(0, 200);
  EXPECT_NE(raw.find("application/problem+json"), std::string::npos);
  EXPECT_NE(raw.find("X-Request-Id: "), std::string::npos) << "answers the server writes itself carry an id too";
}

TEST_F(ServerTest, OversizedBodyGets413) {
  start(small_limits());
  RawClient c(server_->port());
  c.send_all("POST /v1/roadmap HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n" +
             std::string(1024, 'a'));
  const std::string raw = c.read_all();
  EXPECT_EQ(status_of(raw), 413) << raw.substr(0, 200);
  EXPECT_NE(body_of(raw).find("\"status\":413"), std::string::npos);
  EXPECT_NE(raw.find("X-Request-Id: "), std::string::npos);
}

TEST_F(ServerTest, MalformedRequestGets400) {
  start(small_limits());
  RawClient c(server_->port());
  c.send_all("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(status_of(c.read_all()), 400);
}

TEST_F(ServerTest, SlowRequestIsCutOffAndServerKeepsServing) {
  start(small_limits());
  RawClient slow(server_->port());
  slow.send_all("GET /v1/roadmap HTTP/1.1\r\nHost: loc");  // and then nothing
  const auto t0 = std::chrono::steady_clock::now();
  const std::string raw = slow.read_all(std::chrono::milliseconds(5000));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(waited, std::chrono::milliseconds(4000)) << "the slow connection was not closed";
  RawClient next(server_->port());
  next.send_all("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(next.read_all()), 200);
}

TEST_F(ServerTest, ConnectionsOverTheCapGet503) {
  Limits l = small_limits();
  l.max_connections = 2;
  l.idle_timeout = std::chrono::seconds(5);
  l.request_timeout = std::chrono::seconds(5);
  start(l);
  RawClient a(server_->port()), b(server_->port());
  // Make sure both are accepted and counted before the third arrives.
  a.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  b.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(a.read_response()), 200);
  EXPECT_EQ(status_of(b.read_response()), 200);
  RawClient c(server_->port());
  c.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(c.read_all()), 503);
}

TEST_F(ServerTest, StopClosesTheListener) {
  start(small_limits());
  const auto port = server_->port();
  server_->stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawClient c(port);
  EXPECT_FALSE(c.connected());
}

}  // namespace
}  // namespace veikart
