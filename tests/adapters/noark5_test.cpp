// The noark5 adapter against an in-test fetcher: navigation by _links relations (object and legacy array form),
// paging by next links and by count/$skip, numbers as strings, codes as objects, linking and unlinked cases.

#include <gtest/gtest.h>

#include <cstdlib>

#include "adapters/noark5/noark5_adapter.hpp"
#include "fake_fetcher.hpp"

namespace veikart {
namespace {

using adapters::noark5::Noark5Adapter;
using testing::FakeFetcher;
using testing::header_of;
using testing::json_response;

const std::string kRel = "https://rel.arkivverket.no/noark5/v5/api/sakarkiv/saksmappe/";
const std::string kType = "application/vnd.noark5+json";

Json a_case(int seq, Json extra = Json::object()) {
  Json c = {{"systemID",
             "00000000-0000-4000-8000-" + std::string(12 - std::to_string(seq).size(), '0') + std::to_string(seq)},
            {"mappeID", "2024/" + std::to_string(seq)},
            {"tittel", "Sak " + std::to_string(seq)},
            {"saksaar", "2024"},  // a string, as some servers send it
            {"sakssekvensnummer", seq},
            {"saksdato", "2024-03-0" + std::to_string(seq % 9 + 1) + "T10:15:00.123+01:00"},
            {"saksstatus", {{"kode", "B"}, {"kodenavn", "Under behandling"}}}};
  for (const auto& [k, v] : extra.items()) c[k] = v;
  return c;
}

Json settings(Json extra = Json::object()) {
  Json s = {{"name", "kommunearkiv"}, {"type", "noark5"}, {"url", "https://arkiv.test/api"}};
  for (const auto& [k, v] : extra.items()) s[k] = v;
  return s;
}

Noark5Adapter make(const Json& s) {
  auto options = adapters::noark5::parse_options({"kommunearkiv", "noark5", s, "/"});
  EXPECT_TRUE(options.ok()) << (options.ok() ? "" : options.error().message);
  return Noark5Adapter(std::move(*options));
}

TEST(Noark5, FollowsRelationsAndNextLinksAndMapsDecisions) {
  const Reference reference = testing::small_reference();
  std::vector<Json> cases = {
      a_case(1, {{"referanseEksternNoekkel", {{"fagsystem", "veikart"}, {"noekkel", "ks:digihelse"}}}}),
      a_case(2, {{"eksternId", Json::array({{{"eksterntSystem", "digi-rogaland-esa"}, {"eksternID", "A2101"}}})}}),
      a_case(3), a_case(4)};
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    EXPECT_EQ(header_of(r, "accept"), kType);
    if (r.url == "https://arkiv.test/api") {
      // Legacy array form, and the case files only through the sakarkiv entry.
      return json_response(200,
                           Json{{"_links",
                                 {{{"rel", "https://rel.arkivverket.no/noark5/v5/api/sakarkiv/"},
                                   {"href", "https://arkiv.test/api/sakarkiv"}}}}}
                               .dump(),
                           kType);
    }
    if (r.url == "https://arkiv.test/api/sakarkiv") {
      return json_response(
          200,
          Json{{"_links", {{kRel, {{"href", "/api/sakarkiv/saksmappe{?$filter,$top}"}, {"templated", true}}}}}}.dump(),
          kType);
    }
    if (r.url.rfind("https://arkiv.test/api/sakarkiv/saksmappe?", 0) == 0) {
      const bool second = r.url.find("skip") != std::string::npos;
      if (!second) {
        EXPECT_NE(r.url.find("%24filter=saksaar%20ge%202024"), std::string::npos) << r.url;
      }
      Json page = {{"count", 4},
                   {"results", second ? Json::array({cases[2], cases[3]}) : Json::array({cases[0], cases[1]})}};
      if (!second) page["_links"]["next"]["href"] = "https://arkiv.test/api/sakarkiv/saksmappe?$top=2&$skip=2";
      return json_response(200, page.dump(), kType);
    }
    return json_response(404, "{}");
  });
  auto adapter = make(settings({{"filter", "saksaar ge 2024"}, {"links", {{"2024/3", "digi-agder:p7"}}}}));
  auto batch = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->fragments.size(), 3u);  // case 4 names no item and is ignored
  EXPECT_EQ(fetcher.requests.size(), 4u);

  const Fragment& first = batch->fragments[0];
  EXPECT_EQ(first.id, "ks:digihelse");
  EXPECT_TRUE(first.attach_only);
  const Json& d = first.fields["decisions"][0];
  EXPECT_EQ(d["case_number"], "2024/1");
  EXPECT_EQ(d["title"], "Sak 1");
  EXPECT_EQ(d["date"], "2024-03-02");
  EXPECT_EQ(d["status"], "Under behandling");
  EXPECT_NE(std::find(first.fields["external_ids"].begin(), first.fields["external_ids"].end(),
                      Json{{"system", "kommunearkiv"}, {"id", "2024/1"}}),
            first.fields["external_ids"].end());
  EXPECT_EQ(batch->fragments[1].fields["external_ids"][0], (Json{{"system", "digi-rogaland-esa"}, {"id", "A2101"}}));
  EXPECT_TRUE(batch->fragments[1].attach_only);
  EXPECT_EQ(batch->fragments[2].id, "digi-agder:p7");  // the configured link
  ASSERT_EQ(batch->warnings.size(), 1u);
  EXPECT_NE(batch->warnings[0].reason.find("1 case files name no roadmap item"), std::string::npos);
}

TEST(Noark5, UnlinkedCasesBecomeItemsWhenAsked) {
  const Reference reference = testing::small_reference();
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url == "https://arkiv.test/api") {
      return json_response(
          200, Json{{"_links", {{kRel, {{"href", "https://arkiv.test/api/sakarkiv/saksmappe"}}}}}}.dump(), kType);
    }
    return json_response(200, Json{{"count", 1}, {"results", {a_case(5, {{"saksstatus", {{"kode", "A"}}}})}}}.dump(),
                         kType);
  });
  auto adapter = make(settings({{"unlinked_cases", "items"}}));
  auto batch = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->fragments.size(), 1u);
  const Fragment& f = batch->fragments[0];
  EXPECT_FALSE(f.attach_only);
  EXPECT_EQ(f.id, "kommunearkiv:2024-5");
  EXPECT_EQ(f.fields["title"], "Sak 5");
  EXPECT_EQ(f.fields["kind"], "local_project");
  EXPECT_EQ(f.fields["decisions"][0]["status"], "Avsluttet");  // from the code list when kodenavn is missing
}

TEST(Noark5, AnEmptyListWithoutResultsIsEmptyButAnswersWithoutEitherFail) {
  const Reference reference = testing::small_reference();
  Json list = {{"count", 0}};
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url == "https://arkiv.test/api") {
      return json_response(200, Json{{"_links", {{kRel, {{"href", "/api/saksmappe"}}}}}}.dump(), kType);
    }
    return json_response(200, list.dump(), kType);
  });
  auto adapter = make(settings());
  auto empty = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->fragments.empty());
  list = Json::object();
  auto broken = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("neither 'results'"), std::string::npos);
}

TEST(Noark5, ALoopingNextLinkAndAMissingRelationFailTheRun) {
  const Reference reference = testing::small_reference();
  bool with_rel = true;
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url == "https://arkiv.test/api") {
      Json root = with_rel ? Json{{"_links", {{kRel, {{"href", "/api/saksmappe"}}}}}}
                           : Json{{"_links", {{"self", {{"href", "/api"}}}}}};
      return json_response(200, root.dump(), kType);
    }
    Json page = {{"count", 9}, {"results", {a_case(1)}}};
    page["_links"]["next"]["href"] = "/api/saksmappe?page=again";
    return json_response(200, page.dump(), kType);
  });
  auto adapter = make(settings());
  auto looped = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_FALSE(looped.ok());
  EXPECT_NE(looped.error().message.find("loops"), std::string::npos) << looped.error().message;
  with_rel = false;
  auto lost = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_FALSE(lost.ok());
  EXPECT_NE(lost.error().message.find("sakarkiv/saksmappe"), std::string::npos);
  EXPECT_NE(lost.error().message.find("self"), std::string::npos);
}

TEST(Noark5, RunErrorsNameTheStatusButNotTheQuery) {
  const Reference reference = testing::small_reference();
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url == "https://arkiv.test/api") {
      return json_response(200, Json{{"_links", {{kRel, {{"href", "/api/saksmappe"}}}}}}.dump(), kType);
    }
    FetchResponse busy = json_response(503, R"({"title":"busy"})");
    busy.headers.emplace_back("retry-after", "30");
    return busy;
  });
  auto adapter = make(settings({{"filter", "tittel eq 'hemmelig'"}}));
  auto batch = testing::run_pull(adapter, reference, &fetcher);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.error().message.find("HTTP 503 from https://arkiv.test/api/saksmappe?…"), std::string::npos)
      << batch.error().message;
  EXPECT_NE(batch.error().message.find("Retry-After: 30"), std::string::npos);
  EXPECT_EQ(batch.error().message.find("hemmelig"), std::string::npos);
}

TEST(Noark5, CredentialsGoOnlyToTheApiRootsHost) {
  const Reference reference = testing::small_reference();
  std::string cases_href = "/api/saksmappe";
  FakeFetcher fetcher([&](const FetchRequest& r) -> Expected<FetchResponse> {
    if (r.url == "https://arkiv.test/api") {
      return json_response(200, Json{{"_links", {{kRel, {{"href", cases_href}}}}}}.dump(), kType);
    }
    return json_response(200, Json{{"count", 1}, {"results", {a_case(1)}}}.dump(), kType);
  });
  auto basic = make(settings({{"auth", {{"type", "basic"}, {"username", "veikart"}, {"password", "s3cret"}}}}));
  auto batch = testing::run_pull(basic, reference, &fetcher);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(fetcher.requests.size(), 2u);
  for (const auto& r : fetcher.requests) {
    EXPECT_EQ(header_of(r, "authorization"), "Basic dmVpa2FydDpzM2NyZXQ=") << r.url;  // veikart:s3cret
  }

  // A service that links to another host does not get the credentials sent there.
  cases_href = "https://elsewhere.test/api/saksmappe";
  fetcher.requests.clear();
  batch = testing::run_pull(basic, reference, &fetcher);
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.error().message.find("elsewhere.test"), std::string::npos) << batch.error().message;
  EXPECT_NE(batch.error().message.find("credentials are sent only to"), std::string::npos);
  ASSERT_EQ(fetcher.requests.size(), 1u);

  // Without credentials the same link is followed.
  fetcher.requests.clear();
  auto anonymous = make(settings());
  EXPECT_TRUE(testing::run_pull(anonymous, reference, &fetcher).ok());
  EXPECT_EQ(header_of(fetcher.requests.back(), "authorization"), "");
}

TEST(Noark5, BearerTokensComeFromTheEnvironmentAndBadAuthIsNamed) {
  ::setenv("VEIKART_TEST_NOARK_TOKEN", "tok-123", 1);
  auto options = adapters::noark5::parse_options(
      {"kommunearkiv", "noark5", settings({{"auth", {{"type", "bearer"}, {"token_env", "VEIKART_TEST_NOARK_TOKEN"}}}}),
       "/"});
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->authorization, "Bearer tok-123");
  ::unsetenv("VEIKART_TEST_NOARK_TOKEN");

  auto error_of = [](const Json& auth) {
    auto o = adapters::noark5::parse_options({"kommunearkiv", "noark5", settings({{"auth", auth}}), "/"});
    return o.ok() ? std::string("accepted") : o.error().message;
  };
  EXPECT_EQ(error_of({{"type", "bearer"}, {"token_env", "VEIKART_TEST_NOARK_TOKEN"}}),
            "source 'kommunearkiv': the environment variable VEIKART_TEST_NOARK_TOKEN (auth.token_env) is not set");
  EXPECT_EQ(error_of({{"type", "basic"}, {"password", "x"}}),
            "source 'kommunearkiv': auth.username is required for basic authentication");
  EXPECT_EQ(error_of({{"type", "basic"}, {"username", "a"}}),
            "source 'kommunearkiv': auth.password or auth.password_env is required");
  EXPECT_EQ(error_of({{"type", "digest"}}), "source 'kommunearkiv': auth.type must be basic or bearer, not 'digest'");
}

TEST(Noark5, CasesWithoutTitleOrKeyAreRejected) {
  Batch batch;
  adapters::noark5::Noark5Options options;
  options.source_name = "arkiv";
  options.archive_system = "arkiv";
  EXPECT_TRUE(adapters::noark5::map_case(Json{{"tittel", "Uten nøkkel"}}, options, "page 1 results[0]", batch));
  EXPECT_TRUE(adapters::noark5::map_case(Json{{"systemID", "x-1"}}, options, "page 1 results[1]", batch));
  ASSERT_EQ(batch.rejected.size(), 2u);
  EXPECT_NE(batch.rejected[0].reason.find("systemID"), std::string::npos);
  EXPECT_EQ(batch.rejected[1].record, "x-1");
}

}  // namespace
}  // namespace veikart
