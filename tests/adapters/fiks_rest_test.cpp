// The fiks-rest adapter against an in-test fetcher: the JWT bearer grant, the Fiks headers, token reuse and
// refresh on 401, paging with loop and page guards, If-None-Match/304, and the mapping of the roadmap contract.

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "adapters/fiks_rest/fiks_rest_adapter.hpp"
#include "fake_fetcher.hpp"
#include "gateway/core/schema.hpp"
#include "test_support.hpp"
#include "tools/fake_upstream/keys.hpp"

namespace veikart {
namespace {

using adapters::fiks_rest::FiksRestAdapter;
using testing::FakeFetcher;
using testing::header_of;
using testing::json_response;

const fake::KeyPair& keys() {
  static const fake::KeyPair pair = fake::generate_key_pair();
  return pair;
}

Json solution(const std::string& id, const std::string& status = "Innforing") {
  return {
      {"losningId", id},
      {"navn", "Løsning " + id},
      {"beskrivelse", "Beskrivelse av " + id},
      {"type", "NasjonalFellesLosning"},
      {"status", status},
      {"fagomrader", {"E-helse"}},
      {"faser",
       {{{"faseId", "1"},
         {"fasenavn", "Utvikling"},
         {"kategori", {{"kodeverdi", "Utvikling"}, {"kodebeskrivelse", "Utvikling"}}},
         {"status", "Utfoert"},
         {"startdato", "2024-01-15"},
         {"sluttdato", "2024-12-31"},
         {"milepeler",
          {{{"milepelId", "m1"}, {"beskrivelse", "Første versjon"}, {"frist", "2024-06-01"}, {"intern", false}},
           {{"milepelId", "m2"}, {"beskrivelse", "Intern test"}, {"frist", "2024-07-01"}, {"intern", true}}}}},
        {{"faseId", "2"},
         {"fasenavn", "Innføring"},
         {"kategori", {{"kodeverdi", "Innforing"}}},
         {"status", "UnderArbeid"},
         {"startdato", "2025-07-01"},
         {"sluttdato", "2027-10-01"},
         {"datopresisjon", "Kvartal"}}}},
      {"innforingsbolger",
       {{{"navn", "Bølge 1"}, {"nettverk", {"digi-agder"}}, {"kommuner", {"4204"}}, {"start", "2025-09-01"}}}},
      {"kostnader",
       {{{"aar", 2025}, {"kategori", "Investering"}, {"belop", 35000}, {"per", "Kommune"}, {"finansiering", "Egen"}}}},
      {"lenke", "https://www.ks.no/" + id},
      {"eksterneIder", {{{"system", "ks-prosjekt"}, {"id", "KS-" + id}}}}};
}

class FiksRestTest : public ::testing::Test {
 protected:
  FiksRestTest() {
    testing::write_file(dir_.path() / "key.pem", keys().private_pem);
    settings_ = {{"name", "ks-fiks"},
                 {"type", "fiks-rest"},
                 {"url", "https://api.test/veikart/api/v1/losninger"},
                 {"token_url", "https://token.test/token"},
                 {"issuer", "veikart-client"},
                 {"audience", "https://token.test/"},
                 {"scope", "ks:fiks ks:veikart"},
                 {"key_file", "key.pem"},
                 {"kid", "demo-key-1"},
                 {"integrasjon_id", "3f1b5e2a-0c7d-4a51-9d1f-6c2b8e4a7f10"},
                 {"integrasjon_passord", "hemmelig-passord"}};
  }

  std::unique_ptr<FiksRestAdapter> make() {
    auto options = adapters::fiks_rest::parse_options({"ks-fiks", "fiks-rest", settings_, dir_.path()});
    EXPECT_TRUE(options.ok()) << (options.ok() ? "" : options.error().message);
    return std::make_unique<FiksRestAdapter>(std::move(*options));
  }

  // A token endpoint that checks the assertion, and an API with `pages` (page n links to n+1).
  Expected<FetchResponse> serve(const FetchRequest& r) {
    if (r.url == "https://token.test/token") {
      ++token_requests;
      EXPECT_EQ(r.method, "POST");
      EXPECT_EQ(header_of(r, "content-type"), "application/x-www-form-urlencoded");
      const std::string prefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
      EXPECT_EQ(r.body.rfind(prefix, 0), 0u) << r.body;
      auto checked = fake::verify_rs256(r.body.substr(prefix.size()), keys().public_pem);
      EXPECT_TRUE(checked.ok()) << (checked.ok() ? "" : checked.error().message);
      if (!checked) return json_response(400, R"({"error":"invalid_grant"})");
      assertions.push_back(*checked);
      return json_response(200, Json{{"access_token", "token-" + std::to_string(token_requests)},
                                     {"token_type", "Bearer"},
                                     {"expires_in", expires_in}}
                                    .dump());
    }
    const std::string auth = header_of(r, "authorization");
    if (reject_token == auth) return json_response(401, R"({"error":"invalid_token"})");
    EXPECT_EQ(header_of(r, "IntegrasjonId"), "3f1b5e2a-0c7d-4a51-9d1f-6c2b8e4a7f10");
    EXPECT_EQ(header_of(r, "IntegrasjonPassord"), "hemmelig-passord");
    for (std::size_t i = 0; i < pages.size(); ++i) {
      const std::string url =
          "https://api.test/veikart/api/v1/losninger" + (i == 0 ? "" : "?side=" + std::to_string(i + 1));
      if (r.url != url) continue;
      const std::string etag = "\"v" + std::to_string(version) + "-" + std::to_string(i) + "\"";
      if (header_of(r, "if-none-match") == etag) return FetchResponse{304, {{"etag", etag}}, "", r.url};
      Json page = {{"losninger", pages[i]}, {"totaltAntall", 0}};
      if (i + 1 < pages.size()) page["_links"]["next"]["href"] = "?side=" + std::to_string(i + 2);
      if (!loop_to.empty()) page["_links"]["next"]["href"] = loop_to;
      auto resp = json_response(200, page.dump());
      resp.headers.emplace_back("etag", etag);
      return resp;
    }
    return json_response(404, R"({"error":"not found"})");
  }

  FakeFetcher fetcher{[this](const FetchRequest& r) { return serve(r); }};
  std::vector<Json> pages = {Json::array({solution("digihelse")}), Json::array({solution("kobo", "Pilot")})};
  std::vector<Json> assertions;
  int token_requests = 0;
  int expires_in = 120;
  int version = 1;
  std::string reject_token;
  std::string loop_to;
  Reference reference = testing::small_reference();
  Json settings_;
  testing::TempDir dir_;
};

TEST_F(FiksRestTest, SignsTheGrantSendsFiksHeadersAndMapsEveryPage) {
  auto adapter = make();
  auto batch = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  EXPECT_TRUE(batch->rejected.empty());
  ASSERT_EQ(batch->fragments.size(), 2u);

  ASSERT_EQ(assertions.size(), 1u);
  const Json& header = assertions[0]["header"];
  const Json& claims = assertions[0]["claims"];
  EXPECT_EQ(header["kid"], "demo-key-1");
  EXPECT_EQ(claims["iss"], "veikart-client");
  EXPECT_EQ(claims["aud"], "https://token.test/");
  EXPECT_EQ(claims["scope"], "ks:fiks ks:veikart");
  EXPECT_LE(claims["exp"].get<long long>() - claims["iat"].get<long long>(), 120);
  EXPECT_EQ(claims["jti"].get<std::string>().size(), 36u);

  // Every API call: the bearer token, and the two Fiks headers marked secret.
  int api_calls = 0;
  for (const auto& r : fetcher.requests) {
    if (r.url.find("api.test") == std::string::npos) continue;
    ++api_calls;
    EXPECT_EQ(header_of(r, "authorization"), "Bearer token-1");
    EXPECT_NE(std::find(r.secret_headers.begin(), r.secret_headers.end(), "IntegrasjonPassord"),
              r.secret_headers.end());
    EXPECT_NE(std::find(r.secret_headers.begin(), r.secret_headers.end(), "IntegrasjonId"), r.secret_headers.end());
  }
  EXPECT_EQ(api_calls, 2);

  const Fragment& f = batch->fragments[0];
  EXPECT_EQ(f.id, "ks:digihelse");
  EXPECT_EQ(f.record, "digihelse");
  EXPECT_EQ(f.fields["status"], "rolling_out");
  EXPECT_EQ(f.fields["kind"], "national_solution");
  EXPECT_EQ(f.fields["themes"], Json::array({"e-health"}));
  EXPECT_EQ(f.fields["networks"], Json::array({"digi-agder"}));  // from the rollout wave
  EXPECT_EQ(f.fields["municipalities"], Json::array({"4204"}));
  ASSERT_EQ(f.fields["milestones"].size(), 4u);  // start, public milestone, rollout start and end (not the internal)
  EXPECT_EQ(f.fields["milestones"][0]["kind"], "start");
  EXPECT_EQ(f.fields["milestones"][1]["name"], "Første versjon");
  EXPECT_EQ(f.fields["milestones"][2]["kind"], "rollout_start");
  EXPECT_EQ(f.fields["milestones"][2]["precision"], "quarter");
  EXPECT_EQ(f.fields["milestones"][3]["date"], "2027-10-01");
  EXPECT_EQ(f.fields["rollout_waves"][0]["start"], "2025-09-01");
  EXPECT_EQ(f.fields["costs"][0]["funding"], "own");
  EXPECT_EQ(f.fields["external_ids"][1]["id"], "KS-digihelse");
  EXPECT_EQ(batch->fragments[1].fields["status"], "pilot");
}

TEST_F(FiksRestTest, ReusesTheTokenAndAsksAgainOnceAfter401) {
  auto adapter = make();
  ASSERT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  ASSERT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  EXPECT_EQ(token_requests, 1);  // cached until shortly before expires_in

  reject_token = "Bearer token-1";  // revoked upstream
  auto batch = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  EXPECT_EQ(token_requests, 2);
  EXPECT_EQ(adapter->tokens_fetched(), 2);
  EXPECT_EQ(batch->fragments.size(), 2u);
}

TEST_F(FiksRestTest, ATokenIsRenewedShortlyBeforeItExpires) {
  expires_in = 1;  // renewed after 0.8 s
  auto adapter = make();
  ASSERT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  ASSERT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  EXPECT_EQ(token_requests, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(850));
  ASSERT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  EXPECT_EQ(token_requests, 2);
}

TEST_F(FiksRestTest, A401WithAFreshTokenFailsTheRunWithoutSecrets) {
  auto adapter = make();
  FakeFetcher always401([](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url.find("token") != std::string::npos) {
      return json_response(200, R"({"access_token":"abc-secret-token","token_type":"Bearer","expires_in":60})");
    }
    return json_response(401, R"({"error":"invalid_token"})");
  });
  auto batch = testing::run_pull(*adapter, reference, &always401);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.error().message.find("401"), std::string::npos);
  EXPECT_EQ(batch.error().message.find("abc-secret-token"), std::string::npos);
  EXPECT_EQ(batch.error().message.find("hemmelig-passord"), std::string::npos);
  EXPECT_EQ(always401.requests.size(), 4u);  // token, page, fresh token, page
}

TEST_F(FiksRestTest, ConditionalRequestsReuseTheLastGoodPagesOn304) {
  auto adapter = make();
  auto first = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(first.ok());
  fetcher.requests.clear();
  auto second = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(adapter->pages_not_modified(), 2);
  EXPECT_EQ(header_of(fetcher.requests[0], "if-none-match"), "\"v1-0\"");
  ASSERT_EQ(second->fragments.size(), first->fragments.size());
  EXPECT_EQ(second->fragments[0].fields, first->fragments[0].fields);

  version = 2;  // the collection changed: new ETags, full answers
  pages[1] = Json::array({solution("kobo", "IDrift")});
  auto third = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(adapter->pages_not_modified(), 0);
  EXPECT_EQ(third->fragments[1].fields["status"], "in_operation");
}

TEST_F(FiksRestTest, ANextLinkThatLoopsOrTooManyPagesFailsTheRun) {
  loop_to = "https://api.test/veikart/api/v1/losninger";
  auto adapter = make();
  auto batch = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.error().message.find("loops"), std::string::npos) << batch.error().message;

  loop_to.clear();
  settings_["max_pages"] = 1;
  auto limited = make();
  auto capped = testing::run_pull(*limited, reference, &fetcher);
  ASSERT_FALSE(capped.ok());
  EXPECT_NE(capped.error().message.find("max_pages"), std::string::npos);
}

TEST_F(FiksRestTest, BadAnswersFailTheRunWithTheReason) {
  auto adapter = make();
  struct Case {
    FetchResponse response;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {json_response(200, R"({"losninger": [{"losningId": "a", "na)"), "truncated JSON"},
      {json_response(200, "<html>maintenance</html>", "text/html"), "unexpected content type"},
      {json_response(503, "busy"), "HTTP 503"},
      {json_response(200, R"({"items": []})"), "no 'losninger' list"}};
  for (const auto& c : cases) {
    FakeFetcher broken([&](const FetchRequest& r) -> Expected<FetchResponse> {
      if (r.url.find("token") != std::string::npos) {
        return json_response(200, R"({"access_token":"t","token_type":"Bearer","expires_in":60})");
      }
      return c.response;
    });
    auto batch = testing::run_pull(*adapter, reference, &broken);
    ASSERT_FALSE(batch.ok()) << c.expected;
    EXPECT_NE(batch.error().message.find(c.expected), std::string::npos) << batch.error().message;
  }
}

TEST_F(FiksRestTest, BadSolutionsAreRejectedByRecordAndTheRestIsKept) {
  pages = {Json::array({solution("digihelse", "Snart"), solution("Ugyldig Id"), solution("kobo")})};
  auto adapter = make();
  auto batch = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->fragments.size(), 1u);
  ASSERT_EQ(batch->rejected.size(), 2u);
  EXPECT_EQ(batch->rejected[0].record, "digihelse");  // its last good version stays
  EXPECT_NE(batch->rejected[0].reason.find("'Snart'"), std::string::npos);
  EXPECT_NE(batch->rejected[0].where.find("page 1 losninger[0] (digihelse)"), std::string::npos);
  EXPECT_NE(batch->rejected[1].reason.find("losningId"), std::string::npos);
}

TEST_F(FiksRestTest, ThePasswordMayComeFromTheEnvironment) {
  settings_.erase("integrasjon_passord");
  settings_["integrasjon_passord_env"] = "VEIKART_TEST_FIKS_PASSORD";
  ::unsetenv("VEIKART_TEST_FIKS_PASSORD");
  auto missing = adapters::fiks_rest::parse_options({"ks-fiks", "fiks-rest", settings_, dir_.path()});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("VEIKART_TEST_FIKS_PASSORD"), std::string::npos);
  ::setenv("VEIKART_TEST_FIKS_PASSORD", "hemmelig-passord", 1);
  auto adapter = make();
  EXPECT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
  ::unsetenv("VEIKART_TEST_FIKS_PASSORD");
}

TEST_F(FiksRestTest, AMissingOrForeignKeyFileFailsTheRunAndIsReadAgainNextTime) {
  settings_["key_file"] = "later.pem";
  auto adapter = make();
  auto missing = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("key_file"), std::string::npos);
  testing::write_file(dir_.path() / "later.pem", keys().public_pem);
  auto wrong = testing::run_pull(*adapter, reference, &fetcher);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("no PEM private key"), std::string::npos);
  EXPECT_EQ(token_requests, 0);
  testing::write_file(dir_.path() / "later.pem", keys().private_pem);
  EXPECT_TRUE(testing::run_pull(*adapter, reference, &fetcher).ok());
}

// The published contract (schemas/fiks-roadmap-api.schema.json) accepts the demo's pages and the test's
// solutions, and the adapter maps the demo data without rejections.
TEST_F(FiksRestTest, TheContractSchemaAcceptsWhatTheAdapterReads) {
  const JsonSchema schema(testing::read_file(testing::source_dir() / "schemas" / "fiks-roadmap-api.schema.json"));
  const Json demo =
      Json::parse(testing::read_file(testing::source_dir() / "config" / "demo" / "upstream" / "fiks-losninger.json"));
  for (const Json& page : {Json{{"losninger", demo}, {"totaltAntall", demo.size()}, {"side", 1}},
                           Json{{"losninger", pages[0]}, {"_links", {{"next", {{"href", "?side=2"}}}}}}}) {
    const auto issues = schema.validate(page);
    EXPECT_TRUE(issues.empty()) << issues[0].where << ": " << issues[0].reason;
  }
  EXPECT_FALSE(
      schema.validate(Json{{"losninger", {{{"losningId", "x"}, {"navn", "X"}, {"status", "Snart"}}}}}).empty());
  Batch batch;
  adapters::fiks_rest::FiksRestOptions options;
  Reference full = reference;
  for (const char* t :
       {"welfare", "enterprise-architecture", "it-operations", "planning-building-geodata", "service-design"})
    full.add_theme({t, t, {}});
  for (const char* n : {"digi-vestland", "digi-trondelag", "digi-innlandet", "digi-nordland", "digi-troms-og-finnmark",
                        "digi-more-og-romsdal", "digi-telemark-vestfold", "digi-viken"})
    full.add_network({n, n, {}, {}});
  full.add_municipality({"1108", "Sandnes", "11"});
  full.add_municipality({"1124", "Sola", "11"});
  full.add_municipality({"1127", "Randaberg", "11"});
  full.add_municipality({"5001", "Trondheim", "50"});
  adapters::fiks_rest::map_page(Json{{"losninger", demo}}, full, options, "demo", batch);
  EXPECT_EQ(batch.fragments.size(), demo.size());
  EXPECT_TRUE(batch.rejected.empty()) << batch.rejected[0].where << ": " << batch.rejected[0].reason;
  EXPECT_TRUE(batch.warnings.empty()) << batch.warnings[0].where << ": " << batch.warnings[0].reason;
}

}  // namespace
}  // namespace veikart
