// The subscription routes: who may manage which subscriptions, validation of URLs (no server-side request
// forgery) and filters, the secret shown once, the delivery list and replays.

#include <gtest/gtest.h>

#include "gateway/auth/auth.hpp"
#include "gateway/gateway_test_support.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;

Client client(const std::string& name, const NewKey& key, std::vector<Role> roles,
              std::vector<std::string> municipalities = {}) {
  Client c;
  c.name = name;
  c.key_sha256 = *parse_sha256_hex(key.key_sha256);
  c.roles = std::move(roles);
  c.municipalities = std::move(municipalities);
  return c;
}

class SubscriptionsTest : public ::testing::Test {
 protected:
  void build(bool with_clients) {
    if (with_clients) {
      config_.clients = {client("agder", agder_, {Role::reader}),
                         client("vestland", vestland_, {Role::reader}),
                         client("ks", publisher_, {Role::publisher}),
                         client("drift", admin_, {Role::admin}),
                         client("ikt-agder", inventory_, {Role::inventory}, {"42*"}),
                         client("ikt-rogaland", inventory_out_, {Role::inventory}, {"11*"})};
    }
    config_.webhooks.allow_hosts = {"receiver.internal"};
    store_ = open_sqlite_store(dir_.path().string());
    api_ = std::make_unique<Api>(ApiContext{*store_, config_, reference_, metrics_});
  }

  HttpResponse call(const std::string& method, const std::string& target, const NewKey* key, Json body = nullptr,
                    const std::string& remote = "192.0.2.7") {
    HttpRequest r;
    r.method = method;
    parse_target(r, target);
    r.remote_address = remote;
    if (!body.is_null()) {
      r.headers.emplace_back("content-type", "application/json");
      r.body = body.dump();
    }
    if (key) r.headers.emplace_back("authorization", "Bearer " + key->key);
    return api_->handle(r);
  }

  Json create(const NewKey* key, Json body = {{"url", "https://hooks.example.org/veikart"}}) {
    auto r = call("POST", "/v1/subscriptions", key, std::move(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return Json::parse(r.body);
  }

  std::vector<std::string> error_pointers(const HttpResponse& r) {
    std::vector<std::string> out;
    for (const auto& e : Json::parse(r.body).value("errors", Json::array())) out.push_back(e["pointer"]);
    return out;
  }

  NewKey agder_ = generate_key(), vestland_ = generate_key(), publisher_ = generate_key(), admin_ = generate_key();
  NewKey inventory_ = generate_key(), inventory_out_ = generate_key();
  TempDir dir_;
  GatewayConfig config_;
  Reference reference_ = testing::api_reference();
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
};

TEST_F(SubscriptionsTest, CreateReturnsTheSecretOnceAndAPendingSubscription) {
  build(true);
  const Json made = create(&agder_, {{"url", "https://hooks.example.org/veikart"},
                                     {"filters", {{"network", {"digi-agder"}}, {"status", "pilot"}}},
                                     {"description", "Digi Agder sin tavle"}});
  const std::string id = made["id"];
  EXPECT_TRUE(id.starts_with("sub_"));
  EXPECT_EQ(made["status"], "pending");
  EXPECT_EQ(made["owner"], "agder");
  ASSERT_TRUE(made["secret"].is_string());
  const std::string secret = made["secret"];
  EXPECT_TRUE(secret.starts_with("whsec_"));
  EXPECT_GE(base64_decode(secret.substr(6))->size(), 24u);

  auto got = call("GET", "/v1/subscriptions/" + id, &agder_);
  ASSERT_EQ(got.status, 200);
  const Json shown = Json::parse(got.body);
  EXPECT_FALSE(shown.contains("secret")) << "the secret is shown only at creation";
  EXPECT_EQ(shown["filters"]["status"], "pilot");
  EXPECT_EQ(shown["description"], "Digi Agder sin tavle");

  // The verification event is the first delivery, waiting to be sent.
  auto deliveries = Json::parse(call("GET", "/v1/subscriptions/" + id + "/deliveries", &agder_).body);
  ASSERT_EQ(deliveries["deliveries"].size(), 1u);
  EXPECT_EQ(deliveries["deliveries"][0]["event_type"], "subscription.verify");
  EXPECT_EQ(deliveries["deliveries"][0]["status"], "pending");
  EXPECT_EQ(deliveries["deliveries"][0]["event"]["data"]["subscription"], id);
}

TEST_F(SubscriptionsTest, RefusesUrlsThatWouldReachPrivateOrPlainHttpHosts) {
  build(true);
  for (const char* url :
       {"http://hooks.example.org/x", "https://127.0.0.1/x", "https://10.0.0.5/x",
        "https://169.254.169.254/latest/meta-data", "https://[::1]/x", "https://[fd00::1]/x", "https://localhost/x",
        "https://user:pw@hooks.example.org/", "ftp://hooks.example.org/", "not a url"}) {
    auto r = call("POST", "/v1/subscriptions", &agder_, {{"url", url}});
    EXPECT_EQ(r.status, 422) << url << r.body;
    EXPECT_EQ(error_pointers(r), std::vector<std::string>{"/url"}) << url;
  }
  // Hosts the operator allows may also be plain http.
  EXPECT_EQ(call("POST", "/v1/subscriptions", &agder_, {{"url", "http://receiver.internal:9000/hook"}}).status, 201);
}

TEST_F(SubscriptionsTest, ChecksFiltersAndFieldsLikeTheFeedQuery) {
  build(true);
  auto r = call("POST", "/v1/subscriptions", &agder_,
                {{"url", "https://hooks.example.org/x"},
                 {"filters",
                  {{"network", {"digi-atlantis"}},
                   {"municipality", "9999"},
                   {"colour", "red"},
                   {"from", "2026-13-01"},
                   {"status", {1, 2}}}},
                 {"secret", "mine"}});
  ASSERT_EQ(r.status, 422) << r.body;
  auto pointers = error_pointers(r);
  std::sort(pointers.begin(), pointers.end());
  EXPECT_EQ(pointers, (std::vector<std::string>{"/filters/colour", "/filters/from", "/filters/municipality",
                                                "/filters/network", "/filters/status", "/secret"}));
  EXPECT_EQ(call("POST", "/v1/subscriptions", &agder_, Json::array()).status, 400);
  HttpRequest text;
  text.method = "POST";
  parse_target(text, "/v1/subscriptions");
  text.headers = {{"authorization", "Bearer " + agder_.key}, {"content-type", "text/plain"}};
  text.body = "https://hooks.example.org";
  EXPECT_EQ(api_->handle(text).status, 415);
  EXPECT_TRUE(store_->subscriptions(std::nullopt).empty()) << "nothing stored from bad requests";
}

// Every subscription route × (no key, bad key, reader (owner), reader (other), publisher, inventory in and out of
// scope, admin). Subscriptions are for readers: an inventory key, whatever its scope, may not manage them.
TEST_F(SubscriptionsTest, AuthorisationMatrix) {
  build(true);
  const std::string id = create(&agder_)["id"];
  const std::string delivery =
      Json::parse(call("GET", "/v1/subscriptions/" + id + "/deliveries", &agder_).body)["deliveries"][0]["id"];
  const NewKey bad = generate_key();
  struct Route {
    std::string method, target;
    int owner_status;
  };
  const std::vector<Route> routes = {
      {"GET", "/v1/subscriptions", 200},
      {"GET", "/v1/subscriptions/" + id, 200},
      {"GET", "/v1/subscriptions/" + id + "/deliveries?status=pending", 200},
      {"POST", "/v1/subscriptions/" + id + "/deliveries/" + delivery + "/replay", 409},  // still pending
  };
  for (const auto& r : routes) {
    EXPECT_EQ(call(r.method, r.target, nullptr).status, 401) << r.target;
    EXPECT_EQ(call(r.method, r.target, &bad).status, 401) << r.target;
    EXPECT_EQ(call(r.method, r.target, &publisher_).status, 403) << r.target;
    EXPECT_EQ(call(r.method, r.target, &inventory_).status, 403) << r.target;
    EXPECT_EQ(call(r.method, r.target, &inventory_out_).status, 403) << r.target;
    EXPECT_EQ(call(r.method, r.target, &agder_).status, r.owner_status) << r.target;
    EXPECT_EQ(call(r.method, r.target, &admin_).status, r.owner_status) << r.target;
    const int other = r.target == "/v1/subscriptions" ? 200 : 404;  // another reader's subscription is not there
    EXPECT_EQ(call(r.method, r.target, &vestland_).status, other) << r.target;
  }
  EXPECT_EQ(Json::parse(call("GET", "/v1/subscriptions", &vestland_).body)["subscriptions"].size(), 0u);
  EXPECT_EQ(Json::parse(call("GET", "/v1/subscriptions", &admin_).body)["subscriptions"].size(), 1u);
  EXPECT_EQ(call("POST", "/v1/subscriptions", nullptr, {{"url", "https://hooks.example.org/x"}}).status, 401);
  EXPECT_EQ(call("POST", "/v1/subscriptions", &publisher_, {{"url", "https://hooks.example.org/x"}}).status, 403);
  EXPECT_EQ(call("POST", "/v1/subscriptions", &inventory_, {{"url", "https://hooks.example.org/x"}}).status, 403);
  EXPECT_EQ(call("DELETE", "/v1/subscriptions/" + id, &inventory_).status, 403);
  EXPECT_EQ(call("DELETE", "/v1/subscriptions/" + id, &vestland_).status, 404);
  EXPECT_EQ(call("DELETE", "/v1/subscriptions/" + id, &publisher_).status, 403);
  EXPECT_EQ(call("DELETE", "/v1/subscriptions/" + id, &agder_).status, 204);
  EXPECT_EQ(call("GET", "/v1/subscriptions/" + id, &agder_).status, 404);
  EXPECT_EQ(call("PUT", "/v1/subscriptions", &agder_).status, 405);
}

TEST_F(SubscriptionsTest, WithoutClientsOnlyThisMachineManagesSubscriptions) {
  build(false);
  EXPECT_EQ(call("POST", "/v1/subscriptions", nullptr, {{"url", "https://hooks.example.org/x"}}, "192.0.2.7").status,
            403);
  EXPECT_EQ(call("POST", "/v1/subscriptions", nullptr, {{"url", "https://hooks.example.org/x"}}, "127.0.0.1").status,
            201);
  EXPECT_EQ(Json::parse(call("GET", "/v1/subscriptions", nullptr, nullptr, "::1").body)["subscriptions"][0]["owner"],
            "local");
}

TEST_F(SubscriptionsTest, FailedDeliveriesAreListedAndReplayed) {
  build(true);
  const std::string id = create(&agder_)["id"];
  auto list = store_->deliveries({id, std::nullopt, 0, 10});
  ASSERT_EQ(list.size(), 1u);
  Delivery d = list[0];
  d.status = "failed";
  d.attempts = 8;
  d.last_status = 500;
  d.last_error = "the receiver answered 500";
  store_->update_delivery(d);

  auto failed = Json::parse(call("GET", "/v1/subscriptions/" + id + "/deliveries?status=failed", &agder_).body);
  ASSERT_EQ(failed["deliveries"].size(), 1u);
  EXPECT_EQ(failed["deliveries"][0]["attempts"], 8);
  EXPECT_EQ(failed["deliveries"][0]["last_status"], 500);
  EXPECT_TRUE(failed["deliveries"][0]["next_attempt_at"].is_null());
  EXPECT_EQ(call("GET", "/v1/subscriptions/" + id + "/deliveries?status=lost", &agder_).status, 400);

  auto replay = call("POST", "/v1/subscriptions/" + id + "/deliveries/" + d.id + "/replay", &agder_);
  ASSERT_EQ(replay.status, 202) << replay.body;
  EXPECT_EQ(Json::parse(replay.body)["status"], "pending");
  EXPECT_EQ(store_->delivery(id, d.id)->attempts, 0);
  EXPECT_EQ(call("POST", "/v1/subscriptions/" + id + "/deliveries/msg_nope/replay", &agder_).status, 404);

  store_->set_subscription_status(id, "disabled", "the receiver answered 410 Gone");
  d.status = "failed";
  store_->update_delivery(d);
  EXPECT_EQ(call("POST", "/v1/subscriptions/" + id + "/deliveries/" + d.id + "/replay", &agder_).status, 409);
}

TEST_F(SubscriptionsTest, DeliveryListPages) {
  build(true);
  const std::string id = create(&agder_)["id"];
  for (int i = 0; i < 5; ++i) {
    store_->write([&](StoreTransaction& txn) {
      txn.upsert_item("ks:" + std::to_string(i), testing::item_body("ks:" + std::to_string(i), "x"));
      return true;
    });
  }
  store_->set_subscription_status(id, "active", "");
  store_->enqueue_deliveries(id, 100, [&](const Change& c) -> std::optional<Delivery> {
    Delivery d;
    d.id = "msg_" + std::to_string(c.seq);
    d.subscription_id = id;
    d.event_type = "roadmap.upsert";
    d.seq = c.seq;
    d.payload = "{}";
    d.status = "pending";
    d.created_at = now_rfc3339();
    return d;
  });
  std::vector<std::string> seen;
  std::string target = "/v1/subscriptions/" + id + "/deliveries?limit=4";
  for (int page = 0; page < 3; ++page) {
    const Json body = Json::parse(call("GET", target, &agder_).body);
    for (const auto& d : body["deliveries"]) seen.push_back(d["id"]);
    if (body["next_cursor"].is_null()) break;
    target = "/v1/subscriptions/" + id + "/deliveries?limit=4&cursor=" + body["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(seen.size(), 6u);  // the verification event and five changes, each once
}

}  // namespace
}  // namespace veikart
