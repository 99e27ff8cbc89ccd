// Who may do what: every route × (no key, unknown key, reader, publisher, inventory, admin), with the feed open to
// all and with feed_access: readers; 401 and 403 never mixed up; loopback-only writes without clients.

#include <gtest/gtest.h>

#include "gateway/auth/auth.hpp"
#include "http_test_support.hpp"
#include "push_test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;

class NoRead : public BlockingSourceAdapter {
 public:
  Expected<Batch> read(PullContext&) override { return Batch{}; }
};

// Accepts any text/plain body as one record titled by the body.
class TitleParser : public PayloadParser {
 public:
  Expected<Batch> parse(std::string_view body, std::string_view, const Reference&) override {
    Batch b;
    Json fields = {{"title", std::string(body)},
                   {"kind", "regional_project"},
                   {"status", "idea"},
                   {"owner", {{"type", "network"}, {"id", "digi-agder"}, {"name", "Digi Agder"}}}};
    b.fragments.push_back({"push:one", "one", "body", fields, ""});
    return b;
  }
};

struct Keys {
  NewKey reader = generate_key();
  NewKey publisher = generate_key();
  NewKey inventory = generate_key();
  NewKey admin = generate_key();
};

Client client(const std::string& name, const NewKey& key, std::vector<Role> roles) {
  Client c;
  c.name = name;
  c.key_sha256 = *parse_sha256_hex(key.key_sha256);
  c.roles = std::move(roles);
  c.municipalities = {"42*", "1103"};
  return c;
}

class AuthTest : public ::testing::Test {
 protected:
  void build(bool with_clients, GatewayConfig::FeedAccess access) {
    registry_.add({"lines", "{}",
                   [](const SourceConfig&) -> Expected<std::unique_ptr<SourceAdapter>> {
                     return std::unique_ptr<SourceAdapter>(std::make_unique<NoRead>());
                   },
                   [](const SourceConfig&) -> Expected<std::unique_ptr<PayloadParser>> {
                     return std::unique_ptr<PayloadParser>(std::make_unique<TitleParser>());
                   }});
    SourceEntry e;
    e.config = SourceConfig{"inbox", "lines", Json::object(), dir_.path()};
    config_.sources = {e};
    config_.feed_access = access;
    if (with_clients) {
      config_.clients = {
          client("lesar", keys_.reader, {Role::reader}), client("ks", keys_.publisher, {Role::publisher}),
          client("ikt-agder", keys_.inventory, {Role::inventory}), client("drift", keys_.admin, {Role::admin})};
    }
    store_ = open_sqlite_store(dir_.path().string());
    api_ = std::make_unique<Api>(ApiContext{*store_, config_, reference_, metrics_, [] { return true; }, &registry_});
  }

  int call(const std::string& method, const std::string& target, const std::string& key,
           const std::string& remote = "192.0.2.7", HttpResponse* out = nullptr) {
    HttpRequest r;
    r.method = method;
    parse_target(r, target);
    r.remote_address = remote;
    r.headers = {{"content-type", "text/plain"}};
    if (!key.empty()) r.headers.emplace_back("authorization", "Bearer " + key);
    r.body = "Tittel";
    auto res = api_->handle(r);
    if (out) *out = res;
    return res.status;
  }

  TempDir dir_;
  Keys keys_;
  AdapterRegistry registry_;
  GatewayConfig config_;
  Reference reference_ = testing::api_reference();
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
};

const std::vector<std::string> kFeedRoutes = {"/v1/roadmap",
                                              "/v1/roadmap/demo:x",
                                              "/v1/changes",
                                              "/v1/sources",
                                              "/v1/roadmap.atom",
                                              "/v1/roadmap.ics",
                                              "/v1/roadmap.csv",
                                              "/v1/networks/digi-agder/roadmap",
                                              "/v1/municipalities/4204/roadmap.ics"};
const std::vector<std::string> kOpenRoutes = {"/healthz", "/readyz", "/metrics", "/openapi.yaml", "/"};

TEST_F(AuthTest, ReadersOnlyFeedMatrix) {
  build(true, GatewayConfig::FeedAccess::readers);
  for (const auto& route : kFeedRoutes) {
    const int expected_ok = route == "/v1/roadmap/demo:x" ? 404 : 200;
    HttpResponse r;
    EXPECT_EQ(call("GET", route, "", "192.0.2.7", &r), 401) << route;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"veikart\"") << route;
    EXPECT_EQ(call("GET", route, "vk_not-a-key", "192.0.2.7", &r), 401) << route;
    EXPECT_NE(r.header("WWW-Authenticate").find("invalid_token"), std::string::npos) << route;
    EXPECT_EQ(call("GET", route, keys_.reader.key), expected_ok) << route;
    EXPECT_EQ(call("GET", route, keys_.admin.key), expected_ok) << route;
    EXPECT_EQ(call("GET", route, keys_.publisher.key), 403) << route;
    EXPECT_EQ(call("GET", route, keys_.inventory.key), 403) << route;
  }
  for (const auto& route : kOpenRoutes) {
    EXPECT_EQ(call("GET", route, ""), 200) << route;
  }
}

TEST_F(AuthTest, PublicFeedMatrixStillRefusesBadKeys) {
  build(true, GatewayConfig::FeedAccess::everyone);
  for (const auto& route : kFeedRoutes) {
    const int expected_ok = route == "/v1/roadmap/demo:x" ? 404 : 200;
    EXPECT_EQ(call("GET", route, ""), expected_ok) << route;
    EXPECT_EQ(call("GET", route, keys_.inventory.key), expected_ok) << route;
    EXPECT_EQ(call("GET", route, "vk_wrong"), 401) << route;  // a wrong key is an error, not anonymous access
  }
}

TEST_F(AuthTest, PushMatrixWithClients) {
  build(true, GatewayConfig::FeedAccess::everyone);
  const std::string push = "/v1/sources/inbox/messages";
  EXPECT_EQ(call("POST", push, ""), 401);
  EXPECT_EQ(call("POST", push, "", "127.0.0.1"), 401) << "with clients configured, loopback needs a key too";
  EXPECT_EQ(call("POST", push, "vk_wrong"), 401);
  EXPECT_EQ(call("POST", push, keys_.reader.key), 403);
  EXPECT_EQ(call("POST", push, keys_.inventory.key), 403);
  EXPECT_EQ(call("POST", push, keys_.publisher.key), 200);
  EXPECT_EQ(call("POST", push, keys_.admin.key), 200);
}

TEST_F(AuthTest, WithoutClientsWritesAreLoopbackOnly) {
  build(false, GatewayConfig::FeedAccess::everyone);
  const std::string push = "/v1/sources/inbox/messages";
  EXPECT_EQ(call("POST", push, "", "192.0.2.7"), 403);
  EXPECT_EQ(call("POST", push, "", "127.0.0.1"), 200);
  EXPECT_EQ(call("POST", push, "", "::1"), 200);
  EXPECT_EQ(call("GET", "/v1/roadmap", ""), 200);
}

TEST(Auth, KeysAndScopes) {
  const NewKey k = generate_key();
  EXPECT_EQ(k.key.rfind("vk_", 0), 0u);
  EXPECT_EQ(k.key.size(), 46u);
  EXPECT_EQ(k.key_sha256, sha256_hex(k.key));
  EXPECT_NE(generate_key().key, k.key);
  EXPECT_FALSE(parse_sha256_hex("abc"));
  EXPECT_FALSE(parse_sha256_hex(std::string(64, 'g')));
  Client c;
  c.municipalities = {"42*", "1103"};
  EXPECT_TRUE(c.covers("4204"));
  EXPECT_TRUE(c.covers("1103"));
  EXPECT_FALSE(c.covers("1108"));
  EXPECT_FALSE(c.covers("0301"));
  Authenticator auth({[&] {
    Client x;
    x.name = "x";
    x.key_sha256 = *parse_sha256_hex(k.key_sha256);
    x.roles = {Role::reader};
    return x;
  }()});
  HttpRequest r;
  r.headers = {{"authorization", "Basic dXNlcjpwYXNz"}};
  EXPECT_EQ(auth.identify(r).kind, Identity::Kind::invalid);
  r.headers = {{"authorization", "bearer " + k.key}};
  const Identity id = auth.identify(r);
  ASSERT_EQ(id.kind, Identity::Kind::client);
  EXPECT_EQ(id.client->name, "x");
  r.headers = {};
  EXPECT_EQ(auth.identify(r).kind, Identity::Kind::anonymous);
}

}  // namespace
}  // namespace veikart

namespace veikart {
namespace {

using testing::PushApi;
using testing::system_record;

// The push routes × (no key, wrong key, reader, publisher, inventory in scope, inventory out of scope, admin).
struct Expect {
  std::string method, target, body;
  int none, reader, publisher, in_scope, out_of_scope, admin;
};

TEST(PushAuthMatrix, EveryNewRouteByRole) {
  for (const auto access : {GatewayConfig::FeedAccess::everyone, GatewayConfig::FeedAccess::readers}) {
    GatewayConfig config;
    config.feed_access = access;
    PushApi api(config);
    const bool open = access == GatewayConfig::FeedAccess::everyone;
    const std::string agder = Json::array({system_record("4204")}).dump();
    const std::string schedule = Json({{"items",
                                        {{{"id", "ks:x"},
                                          {"title", "X"},
                                          {"kind", "national_solution"},
                                          {"status", "idea"},
                                          {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}}}}}})
                                     .dump();
    // "Out of scope" is ikt-rogaland (11*): on ikt-agder's path it is not its inventory, on its own path the
    // record (4204) is outside its municipalities; both are 403.
    const std::vector<Expect> table = {
        {"PUT", "/v1/inventories/ikt-agder", agder, 401, 403, 403, 200, 403, 200},
        {"POST", "/v1/inventories/ikt-agder/records", agder, 401, 403, 403, 200, 403, 200},
        {"PUT", "/v1/inventories/ikt-rogaland", agder, 401, 403, 403, 403, 403, 403},
        {"POST", "/v1/schedules", schedule, 401, 403, 200, 403, 403, 200},
        {"GET", "/v1/municipalities/4204/systems", "", open ? 200 : 401, 200, open ? 200 : 403, open ? 200 : 403,
         open ? 200 : 403, 200},
        {"GET", "/v1/audit", "", 401, 403, 403, 403, 403, 200},
    };
    for (const auto& e : table) {
      const std::string what = e.method + " " + e.target + (open ? " (public feed)" : " (readers only)");
      EXPECT_EQ(api.send(e.method, e.target, "", e.body).status, e.none) << what;
      EXPECT_EQ(api.send(e.method, e.target, "vk_wrong", e.body).status, 401) << what;
      EXPECT_EQ(api.send(e.method, e.target, api.keys.reader.key, e.body).status, e.reader) << what;
      EXPECT_EQ(api.send(e.method, e.target, api.keys.publisher.key, e.body).status, e.publisher) << what;
      EXPECT_EQ(api.send(e.method, e.target, api.keys.agder.key, e.body).status, e.in_scope) << what;
      EXPECT_EQ(api.send(e.method, e.target, api.keys.rogaland.key, e.body).status, e.out_of_scope) << what;
      EXPECT_EQ(api.send(e.method, e.target, api.keys.admin.key, e.body).status, e.admin) << what;
    }
  }
}

TEST(PushAuthMatrix, WithoutClientsPushesAreLoopbackOnly) {
  PushApi api(GatewayConfig{}, false);
  const std::string agder = Json::array({system_record("4204")}).dump();
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", "", agder, "application/json", {}, "192.0.2.7").status, 403);
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", "", agder, "application/json", {}, "127.0.0.1").status, 200);
  EXPECT_EQ(api.send("GET", "/v1/audit", "", "", "", {}, "127.0.0.1").status, 200);
  EXPECT_EQ(api.send("GET", "/v1/audit", "", "", "", {}, "192.0.2.7").status, 403);
}

}  // namespace
}  // namespace veikart
