#include <gtest/gtest.h>

#include "gateway/config/config.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;
using testing::write_file;

// A stand-in adapter type with its own strict schema, so these tests exercise the config machinery alone.
constexpr std::string_view kFakeSchema = R"({
  "type": "object",
  "required": ["name", "type", "path"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string"}, "type": {"type": "string"}, "interval": {"type": "string"},
    "precedence": {"type": "integer"}, "path": {"type": "string"},
    "mapping": {"type": "object", "additionalProperties": false, "properties": {"title": {"type": "string"}}}
  }
})";

class NoopAdapter : public BlockingSourceAdapter {
 public:
  Expected<Batch> read(PullContext&) override { return Batch{}; }
};

AdapterRegistry fake_registry() {
  AdapterRegistry r;
  r.add({"fake", kFakeSchema, [](const SourceConfig& c) -> Expected<std::unique_ptr<SourceAdapter>> {
           if (c.settings.value("path", "") == "missing.csv") return Error{"path: no such file 'missing.csv'"};
           return std::unique_ptr<SourceAdapter>(std::make_unique<NoopAdapter>());
         }});
  return r;
}

TEST(Config, LoadsAValidFileWithPathsRelativeToIt) {
  TempDir dir;
  write_file(dir.path() / "gw.yaml", R"(
listen: 127.0.0.1:9090
data_dir: store
limits: {max_body_bytes: 2048, idle_timeout: 30s}
sources:
  - name: agder
    type: fake
    path: agder.csv
    interval: 5m
    precedence: 7
    mapping: {title: Prosjekt}
)");
  const auto result = load_config(dir.path() / "gw.yaml", fake_registry());
  ASSERT_TRUE(result.config) << (result.problems.empty() ? ""
                                                         : result.problems[0].where + ": " + result.problems[0].reason);
  const auto& c = *result.config;
  EXPECT_EQ(c.listen_host, "127.0.0.1");
  EXPECT_EQ(c.listen_port, 9090);
  EXPECT_EQ(c.data_dir, std::filesystem::absolute(dir.path()) / "store");
  EXPECT_EQ(c.limits.max_body_bytes, 2048u);
  EXPECT_EQ(c.limits.idle_timeout, std::chrono::seconds(30));
  ASSERT_EQ(c.sources.size(), 1u);
  EXPECT_EQ(c.sources[0].interval, std::chrono::seconds(300));
  EXPECT_EQ(c.sources[0].precedence, 7);
  EXPECT_EQ(c.sources[0].config.resolve("agder.csv"), std::filesystem::absolute(dir.path()) / "agder.csv");
}

TEST(Config, ReportsEveryProblemWithItsKeyPath) {
  TempDir dir;
  write_file(dir.path() / "gw.yaml", R"(
listen: nowhere
colour: blue
limits: {max_body_bytes: 10}
sources:
  - name: agder
    type: fake
    path: agder.csv
    mapping: {titel: Prosjekt}
  - name: agder
    type: fake
    path: b.csv
  - name: Bad Name
    type: fake
    path: c.csv
  - name: rogaland
    type: nosuchtype
  - name: vestland
    type: fake
    path: missing.csv
  - name: trondelag
    type: fake
    path: t.csv
    interval: soon
)");
  const auto result = load_config(dir.path() / "gw.yaml", fake_registry());
  EXPECT_FALSE(result.config);
  std::string all;
  for (const auto& p : result.problems) all += p.where + ": " + p.reason + "\n";
  auto has = [&](const std::string& where) {
    for (const auto& p : result.problems) {
      if (p.where.rfind(where, 0) == 0) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("listen")) << all;
  EXPECT_TRUE(has("colour") || all.find("colour") != std::string::npos) << all;
  EXPECT_TRUE(has("limits.max_body_bytes")) << all;
  EXPECT_TRUE(all.find("titel") != std::string::npos) << all;
  EXPECT_TRUE(has("sources[1].name")) << all;
  EXPECT_TRUE(has("sources[2].name")) << all;
  EXPECT_TRUE(has("sources[3].type")) << all;
  EXPECT_NE(all.find("unknown adapter type 'nosuchtype' (known: fake)"), std::string::npos) << all;
  EXPECT_NE(all.find("no such file 'missing.csv'"), std::string::npos) << all;
  EXPECT_TRUE(has("sources[5].interval")) << all;
}

TEST(Config, BrokenYamlAndMissingFileAreReported) {
  TempDir dir;
  write_file(dir.path() / "bad.yaml", "sources: [\n  - name: x\n");
  auto r = load_config(dir.path() / "bad.yaml", fake_registry());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].reason.find("YAML syntax error at line"), std::string::npos);
  r = load_config(dir.path() / "none.yaml", fake_registry());
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].reason, "cannot read the configuration file");
}

TEST(Config, DurationsAndListenAddresses) {
  EXPECT_EQ(parse_duration("30s"), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("5m"), std::chrono::seconds(300));
  EXPECT_EQ(parse_duration("2h"), std::chrono::seconds(7200));
  EXPECT_EQ(parse_duration("1d"), std::chrono::seconds(86400));
  EXPECT_FALSE(parse_duration("soon"));
  EXPECT_FALSE(parse_duration("-5m"));
  std::string host;
  std::uint16_t port = 0;
  EXPECT_TRUE(parse_listen("[::1]:8080", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 8080);
  EXPECT_FALSE(parse_listen("127.0.0.1:99999", host, port));
  EXPECT_FALSE(parse_listen("8080", host, port));
}

TEST(Config, BuiltInReferenceHasTheWholeCountry) {
  GatewayConfig c;
  const auto ref = load_reference(c);
  ASSERT_TRUE(ref) << ref.error().message;
  EXPECT_EQ(ref->municipalities().size(), 357u);
  EXPECT_EQ(ref->networks().size(), 10u);
  EXPECT_EQ(ref->themes().size(), 13u);
  EXPECT_EQ(ref->find_municipality("Ålesund")->number, "1508");
  EXPECT_EQ(ref->networks_of("4204"), std::vector<std::string>{"digi-agder"});
  EXPECT_TRUE(ref->networks_of("0301").empty());  // Oslo belongs to no network by default
  // Every municipality outside Oslo belongs to exactly one network.
  for (const auto& [number, m] : ref->municipalities()) {
    if (m.county == "03") continue;
    EXPECT_EQ(ref->networks_of(number).size(), 1u) << number << " " << m.name;
  }
}

TEST(Config, ReferenceFileErrorsNameTheFile) {
  TempDir dir;
  write_file(dir.path() / "m.csv", "kommunenummer,kommunenavn,fylkesnummer\n42,Feil,4\n");
  GatewayConfig c;
  c.municipalities_file = dir.path() / "m.csv";
  auto ref = load_reference(c);
  ASSERT_FALSE(ref);
  EXPECT_NE(ref.error().message.find("line 2"), std::string::npos);
  c.municipalities_file = dir.path() / "nope.csv";
  ref = load_reference(c);
  ASSERT_FALSE(ref);
  EXPECT_NE(ref.error().message.find("nope.csv"), std::string::npos);
}

TEST(Config, ClientsAndFeedAccess) {
  TempDir dir;
  const std::string hash(64, 'a');
  write_file(dir.path() / "gw.yaml", "feed_access: readers\nclients:\n  - name: ikt-agder\n    key_sha256: " + hash +
                                         "\n    roles: [inventory, reader]\n    municipalities: [\"42*\", \"1103\"]\n");
  auto r = load_config(dir.path() / "gw.yaml", fake_registry());
  ASSERT_TRUE(r.config) << (r.problems.empty() ? "" : r.problems[0].where + ": " + r.problems[0].reason);
  EXPECT_EQ(r.config->feed_access, GatewayConfig::FeedAccess::readers);
  ASSERT_EQ(r.config->clients.size(), 1u);
  EXPECT_TRUE(r.config->clients[0].has(Role::inventory));
  EXPECT_TRUE(r.config->clients[0].covers("4203"));
  EXPECT_EQ(r.config->clients[0].key_sha256[0], 0xaa);

  write_file(dir.path() / "bad.yaml",
             "feed_access: secret\nclients:\n  - name: a\n    key_sha256: xyz\n    roles: [reader]\n"
             "  - name: b\n    key_sha256: " +
                 hash +
                 "\n    roles: [superuser]\n"
                 "  - name: c\n    key_sha256: " +
                 hash +
                 "\n    roles: [inventory]\n"
                 "  - name: c\n    key_sha256: " +
                 std::string(64, 'b') +
                 "\n    roles: [reader]\n"
                 "    municipalities: [Agder]\n");
  r = load_config(dir.path() / "bad.yaml", fake_registry());
  EXPECT_FALSE(r.config);
  std::string all;
  for (const auto& p : r.problems) all += p.where + ": " + p.reason + "\n";
  for (const char* where : {"feed_access", "clients[0].key_sha256", "clients[1].roles", "clients[2].municipalities",
                            "clients[3].name", "clients[3].municipalities[0]"}) {
    EXPECT_NE(all.find(where), std::string::npos) << where << " not reported in:\n" << all;
  }
}

TEST(Config, WebhookSettings) {
  TempDir dir;
  write_file(dir.path() / "gw.yaml",
             "subscriptions:\n  allow_hosts: [127.0.0.1, hooks.internal]\n  retry_schedule: [1s, 2m]\n"
             "  timeout: 5s\n  max_per_client: 3\n");
  auto r = load_config(dir.path() / "gw.yaml", fake_registry());
  ASSERT_TRUE(r.config) << (r.problems.empty() ? "" : r.problems[0].reason);
  const WebhookSettings& w = r.config->webhooks;
  EXPECT_EQ(w.allow_hosts, (std::vector<std::string>{"127.0.0.1", "hooks.internal"}));
  EXPECT_EQ(w.retry_schedule, (std::vector<std::chrono::seconds>{std::chrono::seconds(1), std::chrono::minutes(2)}));
  EXPECT_EQ(w.timeout, std::chrono::seconds(5));
  EXPECT_EQ(w.max_per_owner, 3);
  const auto defaults = load_config(dir.path() / "gw.yaml", fake_registry());  // unchanged file, same answer
  EXPECT_EQ(defaults.config->webhooks.timeout, std::chrono::seconds(5));
  EXPECT_EQ(WebhookSettings{}.retry_schedule.size(), 7u);
  EXPECT_EQ(WebhookSettings{}.timeout, std::chrono::seconds(15));

  write_file(dir.path() / "bad.yaml", "subscriptions:\n  retry_schedule: [soon]\n  allow: []\n");
  r = load_config(dir.path() / "bad.yaml", fake_registry());
  EXPECT_FALSE(r.config);
  std::vector<std::string> where;
  for (const auto& p : r.problems) where.push_back(p.where);
  EXPECT_NE(std::find(where.begin(), where.end(), "subscriptions.retry_schedule[0]"), where.end());
  EXPECT_NE(std::find(where.begin(), where.end(), "subscriptions.allow"), where.end());
}

}  // namespace
}  // namespace veikart

namespace veikart {
namespace {

TEST(Config, PushLimitsRateAndIdempotencyRetention) {
  testing::TempDir dir;
  testing::write_file(dir.path() / "gw.yaml", R"(
limits: {push_body_bytes: 5000000, rate: {per_second: 2.5, burst: 10}}
idempotency_retention: 2h
audit_retention: 30d
tls: {cert: tls/cert.pem, key: tls/key.pem, min_version: "1.3"}
sources: []
)");
  const auto result = load_config(dir.path() / "gw.yaml", AdapterRegistry{});
  ASSERT_TRUE(result.config) << (result.problems.empty() ? ""
                                                         : result.problems[0].where + ": " + result.problems[0].reason);
  EXPECT_EQ(result.config->limits.push_body_bytes, 5000000u);
  EXPECT_DOUBLE_EQ(result.config->limits.rate.per_second, 2.5);
  EXPECT_DOUBLE_EQ(result.config->limits.rate.burst, 10);
  EXPECT_EQ(result.config->idempotency_retention, std::chrono::hours(2));
  EXPECT_EQ(result.config->audit_retention, std::chrono::hours(30 * 24));
  ASSERT_TRUE(result.config->tls);
  EXPECT_EQ(result.config->tls->cert, std::filesystem::absolute(dir.path()) / "tls" / "cert.pem");
  EXPECT_EQ(result.config->tls->min_version, "1.3");

  testing::write_file(dir.path() / "bad.yaml", R"(
limits: {rate: {burst: 10}, push_body_bytes: 10}
tls: {cert: c.pem, min_version: "1.1"}
sources: []
)");
  const auto bad = load_config(dir.path() / "bad.yaml", AdapterRegistry{});
  EXPECT_FALSE(bad.config);
  std::string all;
  for (const auto& p : bad.problems) all += p.where + ": " + p.reason + "\n";
  EXPECT_NE(all.find("limits.rate"), std::string::npos) << all;
  EXPECT_NE(all.find("limits.push_body_bytes"), std::string::npos) << all;
  EXPECT_NE(all.find("tls.min_version"), std::string::npos) << all;
}

}  // namespace
}  // namespace veikart
