// The pulling sources' configuration: their schemas are registered and name bad keys, and the `http:` block
// becomes the client's options (timeouts with milliseconds, size cap, CA file relative to the config).

#include <gtest/gtest.h>

#include "adapters/registry.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/client_settings.hpp"
#include "test_support.hpp"

namespace veikart {
namespace {

using testing::TempDir;
using testing::write_file;

std::string problems_of(const ConfigResult& r) {
  std::string out;
  for (const auto& p : r.problems) out += p.where + ": " + p.reason + "\n";
  return out;
}

TEST(PullConfig, SchemasNameMissingAndUnknownKeys) {
  AdapterRegistry registry;
  adapters::register_all(registry);
  TempDir dir;
  write_file(dir.path() / "gw.yaml", R"(
sources:
  - name: ks-fiks
    type: fiks-rest
    url: https://api.test/veikart/api/v1/losninger
    token_url: https://token.test/token
    issuer: veikart
    key_file: key.pem
    integrasjon_id: abc
    integrasjon_passord_env: FIKS_PASSORD
    http: {read_timeout: 5 seconds}
  - name: arkiv
    type: noark5
    url: https://arkiv.test/api
    unlinked_cases: sometimes
    filtre: x
)");
  const auto r = load_config(dir.path() / "gw.yaml", registry);
  const std::string all = problems_of(r);
  EXPECT_FALSE(r.config);
  EXPECT_NE(all.find("audience"), std::string::npos) << all;
  EXPECT_NE(all.find("sources[0].http.read_timeout"), std::string::npos) << all;
  EXPECT_NE(all.find("sources[1].unlinked_cases"), std::string::npos) << all;
  EXPECT_NE(all.find("sources[1].filtre"), std::string::npos) << all;
}

TEST(PullConfig, TheHttpBlockBecomesClientOptions) {
  SourceConfig source{"arkiv", "noark5",
                      Json{{"url", "https://arkiv.test/api"},
                           {"http",
                            {{"connect_timeout", "500ms"},
                             {"read_timeout", "2s"},
                             {"total_timeout", "1m"},
                             {"max_bytes", 2048},
                             {"ca_file", "certs/ca.pem"}}}},
                      "/etc/veikart"};
  EXPECT_TRUE(pulls_over_http(source));
  auto options = http_client_options(source);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(options->connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(options->read_timeout, std::chrono::seconds(2));
  EXPECT_EQ(options->total_timeout, std::chrono::minutes(1));
  EXPECT_EQ(options->max_body_bytes, 2048u);
  EXPECT_EQ(options->ca_file, "/etc/veikart/certs/ca.pem");
  EXPECT_FALSE(options->public_addresses_only);  // configured upstreams may be private hosts

  source.settings["http"]["read_timeout"] = "0s";
  EXPECT_FALSE(http_client_options(source).ok());
  EXPECT_FALSE(pulls_over_http(SourceConfig{"sheet", "spreadsheet", Json{{"path", "x.csv"}}, "/"}));
}

}  // namespace
}  // namespace veikart
