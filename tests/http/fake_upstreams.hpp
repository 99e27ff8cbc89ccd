#pragma once
/// @brief The demo's fake upstreams (tools/fake_upstream) on loopback port 0 with a key pair made for the test,
/// and the rewriting of a configuration's pulling sources to point at them.

#include <regex>

#include "gateway/config/config.hpp"
#include "gateway/http/client_settings.hpp"
#include "test_support.hpp"
#include "tools/fake_upstream/fake_upstream.hpp"
#include "tools/fake_upstream/keys.hpp"

namespace veikart::testing {

inline const fake::KeyPair& test_key_pair() {
  static const fake::KeyPair pair = fake::generate_key_pair();
  return pair;
}

inline std::vector<Json> demo_upstream_data(const std::string& file) {
  auto data = fake::load_json_array(source_dir() / "config" / "demo" / "upstream" / file);
  if (!data) ADD_FAILURE() << data.error().message;
  return data ? *data : std::vector<Json>{};
}

/// Both fakes with the demo data, each on its own FakeServer.
class FakeUpstreams {
 public:
  explicit FakeUpstreams(const std::filesystem::path& key_dir,
                         std::chrono::seconds token_lifetime = std::chrono::seconds(120))
      : fiks_(options(token_lifetime), demo_upstream_data("fiks-losninger.json")),
        noark_(demo_upstream_data("noark5-saksmapper.json"), 2),
        fiks_server_([this](const HttpRequest& r) { return fiks_.handle(r); }),
        noark_server_([this](const HttpRequest& r) { return noark_.handle(r); }) {
    write_file(key_dir / "fiks-test.pem", test_key_pair().private_pem);
    key_file_ = key_dir / "fiks-test.pem";
  }

  fake::FiksFake& fiks() { return fiks_; }
  fake::Noark5Fake& noark() { return noark_; }
  fake::FakeServer& fiks_server() { return fiks_server_; }
  fake::FakeServer& noark_server() { return noark_server_; }

  /// Points every fiks-rest and noark5 source at these fakes (host:port in url, token_url, audience) and the
  /// fiks-rest sources at the test's key; the demo's identities stay as configured.
  void localise(GatewayConfig& config) const {
    for (auto& source : config.sources) {
      Json& s = source.config.settings;
      const std::string base = source.config.type == "noark5" ? noark_server_.base_url() : fiks_server_.base_url();
      for (const char* key : {"url", "token_url", "audience"}) {
        if (s.contains(key)) {
          s[key] = std::regex_replace(s[key].get<std::string>(), std::regex("^http://[^/]+"), base);
        }
      }
      if (source.config.type == "fiks-rest") s["key_file"] = key_file_.string();
    }
  }

 private:
  static fake::FiksFakeOptions options(std::chrono::seconds token_lifetime) {
    fake::FiksFakeOptions o;
    o.public_key_pem = test_key_pair().public_pem;
    o.token_lifetime = token_lifetime;
    o.kid = "veikart-demo-key";
    return o;
  }

  fake::FiksFake fiks_;
  fake::Noark5Fake noark_;
  fake::FakeServer fiks_server_;
  fake::FakeServer noark_server_;
  std::filesystem::path key_file_;
};

}  // namespace veikart::testing
