// Hostile input against a real server on 127.0.0.1: each attempt gets the right status, the server keeps
// serving, and nothing stored changes.

#include <gtest/gtest.h>

#include "loopback_server.hpp"
#include "push_test_support.hpp"

namespace veikart {
namespace {

using testing::body_of;
using testing::PushApi;
using testing::RawClient;
using testing::status_of;
using testing::system_record;

GatewayConfig config_with_archive() {
  GatewayConfig c;
  SourceEntry e;
  const Json settings = {{"name", "arkiv"},
                         {"type", "fiks-arkiv"},
                         {"schema_dir", (testing::source_dir() / "schemas" / "fiks-arkiv" / "V1").string()}};
  e.config = SourceConfig{"arkiv", "fiks-arkiv", settings, testing::source_dir()};
  c.sources.push_back(e);
  return c;
}

class HostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One good inventory and one roadmap item, so "unchanged" means something.
    ASSERT_EQ(
        api_.send("PUT", "/v1/inventories/ikt-agder", api_.keys.agder.key, Json::array({system_record("4204")}).dump())
            .status,
        200);
    const Json item = {{"items",
                        {{{"id", "ks:digihelse"},
                          {"title", "Digihelse"},
                          {"kind", "national_solution"},
                          {"status", "pilot"},
                          {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}}}}}};
    ASSERT_EQ(api_.send("POST", "/v1/schedules", api_.keys.publisher.key, item.dump()).status, 200);
    systems_ = api_.push_store().system_count();
    sequence_ = api_.store().sequence();
    Limits limits;
    limits.max_body_bytes = 64 * 1024;
    limits.push_body_bytes = 4 * 1024 * 1024;
    limits.max_header_bytes = 16 * 1024;
    limits.request_timeout = std::chrono::seconds(2);
    limits.idle_timeout = std::chrono::seconds(2);
    server_ =
        std::make_unique<testing::LoopbackServer>([this](const HttpRequest& r) { return api_.api().handle(r); }, limits,
                                                  [](HttpServer& s) { s.set_push_routes(&Api::is_push); });
  }

  // One request on a fresh connection; the raw response.
  std::string exchange(const std::string& method, const std::string& target, const std::string& key,
                       const std::string& content_type, const std::string& body) {
    RawClient c(server_->port());
    std::string head = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    if (!key.empty()) head += "Authorization: Bearer " + key + "\r\n";
    head += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    c.send_all(head + body);
    return c.read_all();
  }

  void expect_unharmed() {
    EXPECT_EQ(api_.push_store().system_count(), systems_);
    EXPECT_EQ(api_.store().sequence(), sequence_);
    const std::string raw = exchange("GET", "/v1/municipalities/4204/systems", "", "text/plain", "");
    EXPECT_EQ(status_of(raw), 200) << "the server no longer serves";
    EXPECT_NE(raw.find("Elements"), std::string::npos);
  }

  PushApi api_{config_with_archive()};
  std::size_t systems_ = 0;
  std::int64_t sequence_ = 0;
  std::unique_ptr<testing::LoopbackServer> server_;
};

TEST_F(HostileTest, XmlExternalEntity) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE arkivmelding [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
      "<arkivmelding xmlns=\"https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1\">"
      "<system>&xxe;</system></arkivmelding>";
  const std::string raw =
      exchange("POST", "/v1/sources/arkiv/messages", api_.keys.publisher.key, "application/xml", xxe);
  EXPECT_EQ(status_of(raw), 422) << raw;  // the message is rejected, naming why
  EXPECT_NE(body_of(raw).find("DOCTYPE declarations are refused"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("root:"), std::string::npos) << "a file's content leaked";
  expect_unharmed();
}

TEST_F(HostileTest, BillionLaughs) {
  std::string dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  std::string prev = "lol";
  for (int i = 1; i <= 9; ++i) {
    const std::string name = "lol" + std::to_string(i);
    dtd += "<!ENTITY " + name + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&" + prev + ";";
    dtd += "\">";
    prev = name;
  }
  dtd += "]>";
  const std::string body = "<?xml version=\"1.0\"?>" + dtd + "<arkivmelding>&lol9;</arkivmelding>";
  const auto t0 = std::chrono::steady_clock::now();
  const std::string raw =
      exchange("POST", "/v1/sources/arkiv/messages", api_.keys.publisher.key, "application/xml", body);
  EXPECT_EQ(status_of(raw), 422) << raw;
  EXPECT_NE(body_of(raw).find("DOCTYPE declarations are refused"), std::string::npos) << raw;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  expect_unharmed();
}

TEST_F(HostileTest, JsonNestedTenThousandDeep) {
  const std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
  std::string raw = exchange("PUT", "/v1/inventories/ikt-agder", api_.keys.agder.key, "application/json", deep);
  EXPECT_EQ(status_of(raw), 400) << raw;
  EXPECT_NE(body_of(raw).find("nested deeper"), std::string::npos);
  const std::string objects = "{\"items\":" + std::string(10'000, '[') + std::string(10'000, ']') + "}";
  raw = exchange("POST", "/v1/schedules", api_.keys.publisher.key, "application/json", objects);
  EXPECT_EQ(status_of(raw), 400) << raw;
  // An unterminated one (no closing brackets) is refused just as fast.
  raw = exchange("POST", "/v1/inventories/ikt-agder/records", api_.keys.agder.key, "application/json",
                 std::string(100'000, '{'));
  EXPECT_EQ(status_of(raw), 400) << raw;
  expect_unharmed();
}

TEST_F(HostileTest, InvalidUtf8InAPush) {
  Json rec = system_record("4204", "X");
  std::string body = Json::array({rec}).dump();
  body.replace(body.find("\"X\""), 3, "\"\xC3\x28\xFF\"");
  const std::string raw = exchange("PUT", "/v1/inventories/ikt-agder", api_.keys.agder.key, "application/json", body);
  EXPECT_EQ(status_of(raw), 400) << raw;
  EXPECT_NE(body_of(raw).find("UTF-8"), std::string::npos) << raw;
  expect_unharmed();
}

TEST_F(HostileTest, HundredMegabyteBodyIsRefusedUnread) {
  RawClient c(server_->port());
  const std::string head =
      "PUT /v1/inventories/ikt-agder HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + api_.keys.agder.key +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(100u * 1024 * 1024) + "\r\n\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  c.send_all(head + std::string(64 * 1024, ' '));
  const std::string raw = c.read_all(std::chrono::milliseconds(3000));
  EXPECT_EQ(status_of(raw), 413) << raw.substr(0, 300);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  // A read route keeps the small limit: 100 KB is too much for it, but fine for a push.
  EXPECT_EQ(status_of(exchange("POST", "/v1/roadmap", "", "text/plain", std::string(100 * 1024, 'a'))), 413);
  EXPECT_EQ(status_of(exchange("POST", "/v1/inventories/ikt-agder/records", api_.keys.agder.key, "application/json",
                               "[" + std::string(100 * 1024, ' ') + "]")),
            200);
  expect_unharmed();
}

TEST_F(HostileTest, TenThousandHeaders) {
  RawClient c(server_->port());
  std::string req = "GET /v1/roadmap HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 10'000; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  req += "\r\n";
  c.send_all(req);
  EXPECT_EQ(status_of(c.read_all()), 431);
  expect_unharmed();
}

TEST_F(HostileTest, OneByteASecondIsCutOffByTheDeadline) {
  RawClient c(server_->port());
  const std::string req = "PUT /v1/inventories/ikt-agder HTTP/1.1\r\nHost: localhost\r\n";
  const auto t0 = std::chrono::steady_clock::now();
  bool cut = false;
  for (const char ch : req) {
    if (!c.send_all(std::string(1, ch))) {
      cut = true;
      break;
    }
    const auto r0 = std::chrono::steady_clock::now();
    const std::string got = c.read_all(std::chrono::milliseconds(1000));
    if (!got.empty()) {
      EXPECT_EQ(status_of(got), 408) << got;
      cut = true;
      break;
    }
    if (std::chrono::steady_clock::now() - r0 < std::chrono::milliseconds(900)) {
      cut = true;  // the server closed the connection
      break;
    }
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(6)) break;
  }
  EXPECT_TRUE(cut) << "a client sending a byte a second was not cut off";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  expect_unharmed();
}

TEST_F(HostileTest, CsvWithAMillionColumns) {
  std::string csv = "municipality";
  csv.reserve(2'000'100);
  for (int i = 1; i < 1'000'000; ++i) csv += ";c";
  csv += "\n4204\n";
  const std::string raw = exchange("PUT", "/v1/inventories/ikt-agder", api_.keys.agder.key, "text/csv", csv);
  EXPECT_EQ(status_of(raw), 400) << raw.substr(0, 300);
  expect_unharmed();
}

TEST_F(HostileTest, UnknownKommunenummer) {
  const std::string raw = exchange("PUT", "/v1/inventories/ikt-agder", api_.keys.agder.key, "application/json",
                                   Json::array({system_record("4299")}).dump());
  EXPECT_EQ(status_of(raw), 422) << raw;
  EXPECT_NE(body_of(raw).find("unknown kommunenummer"), std::string::npos);
  EXPECT_EQ(status_of(exchange("GET", "/v1/municipalities/4299/systems", "", "text/plain", "")), 404);
  expect_unharmed();
}

TEST_F(HostileTest, AKeyForAnotherCooperative) {
  const std::string raw = exchange("PUT", "/v1/inventories/ikt-agder", api_.keys.rogaland.key, "application/json",
                                   Json::array({system_record("1103")}).dump());
  EXPECT_EQ(status_of(raw), 403) << raw;
  expect_unharmed();
}

}  // namespace
}  // namespace veikart
